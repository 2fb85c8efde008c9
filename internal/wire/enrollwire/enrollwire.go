// Package enrollwire converts the EnrollmentService records (families,
// drugs, pharmacies, networks, schedules) between the domain types and the
// generated protobuf messages. It imports only domain, edits and the
// generated API, so the loader, which sends these records, links no
// adjudicator (internal/wire, which converts claims, imports it).
package enrollwire

import (
	"fmt"
	"maps"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
)

// Conversions of the EnrollmentService records. The FromProto direction
// checks every date and number and names the bad field.

func dateString(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func parseOptDate(field, s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return d, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

func parseOptDecimal(field, s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return d, fmt.Errorf("%s: %s is not a number", field, domain.Quote(s))
	}
	return d, nil
}

func rangeFromProto(field, eff, term string) (domain.Range, error) {
	var r domain.Range
	var err error
	if r.From, err = parseOptDate(field+" effective", eff); err != nil {
		return r, err
	}
	r.To, err = parseOptDate(field+" termination", term)
	return r, err
}

// FamilyToProto converts a family for the wire.
func FamilyToProto(f *domain.Family) *pb.FamilyRecord {
	out := &pb.FamilyRecord{CardholderId: f.CardholderID, GroupId: f.GroupID}
	for _, m := range f.Members {
		pm := &pb.MemberRecord{PersonCode: m.PersonCode, DateOfBirth: dateString(m.DateOfBirth), Gender: m.Gender}
		for _, c := range m.Coverages {
			pm.Coverages = append(pm.Coverages, &pb.CoverageRecord{PlanId: c.PlanID, Effective: dateString(c.From), Termination: dateString(c.To)})
		}
		out.Members = append(out.Members, pm)
	}
	return out
}

// FamilyFromProto converts a wire family.
func FamilyFromProto(f *pb.FamilyRecord) (domain.Family, error) {
	out := domain.Family{CardholderID: f.GetCardholderId(), GroupID: f.GetGroupId()}
	for i, m := range f.GetMembers() {
		var dob domain.Date
		if s := m.GetDateOfBirth(); s != "" {
			d, err := domain.ParseDate(s)
			if err != nil { // the error names the field, never the birth date
				return out, fmt.Errorf("members[%d].date_of_birth: not a YYYY-MM-DD date", i)
			}
			dob = d
		}
		am := domain.Member{PersonCode: m.GetPersonCode(), DateOfBirth: dob, Gender: m.GetGender(), Coverages: []domain.Coverage{}}
		for _, c := range m.GetCoverages() {
			r, err := rangeFromProto("coverage", c.GetEffective(), c.GetTermination())
			if err != nil {
				return out, err
			}
			am.Coverages = append(am.Coverages, domain.Coverage{PlanID: c.GetPlanId(), Range: r})
		}
		out.Members = append(out.Members, am)
	}
	return out, nil
}

// DrugToProto converts a drug for the wire.
func DrugToProto(d *domain.Drug) *pb.DrugRecord {
	out := &pb.DrugRecord{Ndc: d.NDC, Name: d.Name, TherapeuticClass: d.TherapeuticClass, MultiSourceCode: d.MultiSourceCode,
		BrandGeneric: d.BrandGeneric, GenericNdc: d.GenericNDC, DeaSchedule: d.DEASchedule, Attributes: d.Attributes}
	for _, p := range d.Prices {
		pp := &pb.DrugPriceRecord{Effective: dateString(p.Effective), Awp: p.AWP.String()}
		if !p.MAC.IsZero() {
			pp.Mac = p.MAC.String()
		}
		out.Prices = append(out.Prices, pp)
	}
	return out
}

// DrugFromProto converts a wire drug.
func DrugFromProto(d *pb.DrugRecord) (domain.Drug, error) {
	out := domain.Drug{NDC: d.GetNdc(), Name: d.GetName(), TherapeuticClass: d.GetTherapeuticClass(), MultiSourceCode: d.GetMultiSourceCode(),
		BrandGeneric: d.GetBrandGeneric(), GenericNDC: d.GetGenericNdc(), DEASchedule: d.GetDeaSchedule(), Attributes: attributes(d.GetAttributes())}
	for _, p := range d.GetPrices() {
		var dp domain.DrugPrice
		var err error
		if dp.Effective, err = parseOptDate("drug price effective", p.GetEffective()); err != nil {
			return out, err
		}
		if dp.AWP, err = parseOptDecimal("awp", p.GetAwp()); err != nil {
			return out, err
		}
		if dp.MAC, err = parseOptDecimal("mac", p.GetMac()); err != nil {
			return out, err
		}
		out.Prices = append(out.Prices, dp)
	}
	return out, nil
}

// PrescriberToProto converts a prescriber for the wire.
func PrescriberToProto(p *domain.Prescriber) *pb.PrescriberRecord {
	return &pb.PrescriberRecord{Npi: p.NPI, Name: p.Name, Effective: dateString(p.From), Termination: dateString(p.To),
		Excluded: p.Excluded, DeaNumber: p.DEA, DeaSchedules: p.DEASchedules, DeaExpiration: dateString(p.DEAExpires)}
}

// PrescriberFromProto converts a wire prescriber; the engine validates it.
func PrescriberFromProto(p *pb.PrescriberRecord) (domain.Prescriber, error) {
	out := domain.Prescriber{NPI: p.GetNpi(), Name: p.GetName(), Excluded: p.GetExcluded(), DEA: p.GetDeaNumber(), DEASchedules: p.GetDeaSchedules()}
	var err error
	if out.Range, err = rangeFromProto("prescriber", p.GetEffective(), p.GetTermination()); err != nil {
		return out, err
	}
	if out.DEAExpires, err = parseOptDate("dea_expiration", p.GetDeaExpiration()); err != nil {
		return out, err
	}
	return out, nil
}

// PharmacyToProto converts a pharmacy for the wire.
func PharmacyToProto(p *domain.Pharmacy) *pb.PharmacyRecord {
	out := &pb.PharmacyRecord{Npi: p.NPI, Name: p.Name, Attributes: p.Attributes}
	for _, x := range p.Participations {
		out.Participations = append(out.Participations, &pb.ParticipationRecord{NetworkId: x.Network, Effective: dateString(x.From), Termination: dateString(x.To)})
	}
	return out
}

// PharmacyFromProto converts a wire pharmacy.
func PharmacyFromProto(p *pb.PharmacyRecord) (domain.Pharmacy, error) {
	out := domain.Pharmacy{NPI: p.GetNpi(), Name: p.GetName(), Attributes: attributes(p.GetAttributes())}
	for _, x := range p.GetParticipations() {
		r, err := rangeFromProto("participation", x.GetEffective(), x.GetTermination())
		if err != nil {
			return out, err
		}
		out.Participations = append(out.Participations, domain.Participation{Network: x.GetNetworkId(), Range: r})
	}
	return out, nil
}

// NetworkToProto converts a network for the wire.
func NetworkToProto(n *domain.Network) *pb.NetworkRecord {
	out := &pb.NetworkRecord{Id: n.ID, Type: n.Type.String()}
	for _, t := range n.Pricing {
		pt := &pb.PricingTermRecord{AwpDiscount: t.AWPDiscount.String(), DispensingFee: t.DispensingFee.String()}
		if t.BrandClass != 0 {
			pt.BrandClass = t.BrandClass.String()
		}
		out.Pricing = append(out.Pricing, pt)
	}
	return out
}

// NetworkFromProto converts a wire network.
func NetworkFromProto(n *pb.NetworkRecord) (domain.Network, error) {
	out := domain.Network{ID: n.GetId()}
	if err := out.Type.UnmarshalText([]byte(n.GetType())); err != nil {
		return out, err
	}
	for _, t := range n.GetPricing() {
		var pt domain.PricingTerm
		if t.GetBrandClass() != "" {
			if err := pt.BrandClass.UnmarshalText([]byte(t.GetBrandClass())); err != nil {
				return out, err
			}
		}
		var err error
		if pt.AWPDiscount, err = parseOptDecimal("awp_discount", t.GetAwpDiscount()); err != nil {
			return out, err
		}
		if pt.DispensingFee, err = parseOptDecimal("dispensing_fee", t.GetDispensingFee()); err != nil {
			return out, err
		}
		out.Pricing = append(out.Pricing, pt)
	}
	return out, nil
}

// attributes keeps an empty map as nil, so a record read back from the
// wire equals the one sent.
func attributes(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func optDecimal(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func decimalPtr(field, s string) (*decimal.Decimal, error) {
	if s == "" {
		return nil, nil
	}
	d, err := parseOptDecimal(field, s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// ScheduleToProto converts a schedule for the wire.
func ScheduleToProto(s *edits.Schedule) *pb.ScheduleRecord {
	out := &pb.ScheduleRecord{Id: s.ID, Name: s.Name, Kind: string(s.Kind), Columns: s.Columns}
	for _, l := range s.Lines {
		out.Lines = append(out.Lines, &pb.ScheduleLineRecord{Values: l.Values, Amount: optDecimal(l.Amount), Percent: optDecimal(l.Percent),
			Absolute: optDecimal(l.Absolute), Effective: dateString(l.From), Termination: dateString(l.To)})
	}
	return out
}

// ScheduleFromProto converts a wire schedule; the engine validates it.
func ScheduleFromProto(p *pb.ScheduleRecord) (edits.Schedule, error) {
	out := edits.Schedule{ID: p.GetId(), Name: p.GetName(), Kind: edits.ScheduleKind(p.GetKind()), Columns: p.GetColumns()}
	for i, l := range p.GetLines() {
		line := edits.ScheduleLine{Values: l.GetValues()}
		if line.Values == nil {
			line.Values = []string{}
		}
		var err error
		at := fmt.Sprintf("schedule %s line %d: ", out.ID, i+1)
		if line.Amount, err = decimalPtr(at+"amount", l.GetAmount()); err != nil {
			return out, err
		}
		if line.Percent, err = decimalPtr(at+"percent", l.GetPercent()); err != nil {
			return out, err
		}
		if line.Absolute, err = decimalPtr(at+"absolute", l.GetAbsolute()); err != nil {
			return out, err
		}
		if line.Range, err = rangeFromProto(at+"line", l.GetEffective(), l.GetTermination()); err != nil {
			return out, err
		}
		out.Lines = append(out.Lines, line)
	}
	return out, nil
}
