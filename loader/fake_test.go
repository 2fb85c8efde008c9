package loader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// fakeSink is an in-memory adjudicator with the Sink's idempotent upsert
// semantics, and failures to order.
type fakeSink struct {
	mu          sync.Mutex
	families    map[string]domain.Family
	drugs       map[string]domain.Drug
	pharmacies  map[string]domain.Pharmacy
	networks    map[string]domain.Network
	schedules   map[string]edits.Schedule
	prescribers map[string]domain.Prescriber
	priorAuths  map[string]domain.PriorAuth
	claims      []ClaimRef
	retroJobs   map[string][]RetroLine // by job ID
	batches     []uint64               // sequences received, in order (repeats show resends)
	failNext    int                    // fail this many calls before applying
	failAfter   int                    // apply, then fail (an ack lost) this many calls
}

func newFakeSink() *fakeSink {
	return &fakeSink{families: map[string]domain.Family{}, drugs: map[string]domain.Drug{},
		pharmacies: map[string]domain.Pharmacy{}, networks: map[string]domain.Network{},
		schedules: map[string]edits.Schedule{}, prescribers: map[string]domain.Prescriber{},
		priorAuths: map[string]domain.PriorAuth{}}
}

var errUnavailable = errors.New("adjudicator unavailable")

func (s *fakeSink) call(seq uint64, apply func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext > 0 {
		s.failNext--
		return errUnavailable
	}
	s.batches = append(s.batches, seq)
	apply()
	if s.failAfter > 0 {
		s.failAfter--
		return errUnavailable
	}
	return nil
}

func (s *fakeSink) SyncFamilies(_ context.Context, b FamilyBatch) ([]string, error) {
	var kept []string
	err := s.call(b.Seq, func() {
		kept = nil
		for _, f := range b.Families {
			s.families[f.CardholderID] = f
		}
		for _, c := range b.Removed {
			if !slices.ContainsFunc(s.claims, func(x ClaimRef) bool { return x.CardholderID == c && x.Status == "P" }) {
				delete(s.families, c)
				continue
			}
			kept = append(kept, c)
			if f, ok := s.families[c]; ok {
				for i := range f.Members {
					f.Members[i].Coverages = nil
				}
				s.families[c] = f
			}
		}
	})
	return kept, err
}

func (s *fakeSink) SyncCatalog(_ context.Context, b CatalogBatch) error {
	for i := range b.Schedules { // as the adjudicator would, refuse what it cannot compile
		if _, err := edits.CompileSchedule(&b.Schedules[i], edits.IsScheduleColumn); err != nil {
			return err
		}
	}
	return s.call(b.Seq, func() {
		for _, x := range b.Schedules {
			s.schedules[x.ID] = x
		}
		for _, d := range b.Drugs {
			s.drugs[d.NDC] = d
		}
		for _, p := range b.Pharmacies {
			s.pharmacies[p.NPI] = p
		}
		for _, n := range b.Networks {
			s.networks[n.ID] = n
		}
		for _, p := range b.Prescribers {
			s.prescribers[p.NPI] = p
		}
		for _, p := range b.PriorAuths {
			s.priorAuths[p.CardholderID+"/"+p.PersonCode+"/"+p.Number] = p
		}
	})
}

func (s *fakeSink) MemberClaims(_ context.Context, cardholder, person string, from, to domain.Date) ([]ClaimRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ClaimRef
	for _, c := range s.claims {
		if c.CardholderID == cardholder && c.PersonCode == person && !c.DateOfService.Before(from) && !c.DateOfService.After(to) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *fakeSink) ReverseClaim(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.claims {
		if s.claims[i].ClaimID == id {
			s.claims[i].Status = "X"
			return nil
		}
	}
	return fmt.Errorf("no claim %s", id)
}

// dump prints the adjudicator's families and catalog.
func (s *fakeSink) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	ids := make([]string, 0, len(s.families))
	for id := range s.families {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := s.families[id]
		fmt.Fprintf(&b, "family %s group %s\n", f.CardholderID, f.GroupID)
		for _, m := range f.Members {
			fmt.Fprintf(&b, "  %s %s %s", m.PersonCode, m.DateOfBirth, m.Gender)
			if len(m.Coverages) == 0 {
				b.WriteString(" no coverage")
			}
			for _, c := range m.Coverages {
				fmt.Fprintf(&b, " %s %s..%s", c.PlanID, c.From, c.To)
			}
			b.WriteString("\n")
		}
	}
	s.dumpDrugs(&b)
	for _, k := range sortedKeys(s.pharmacies) {
		p := s.pharmacies[k]
		fmt.Fprintf(&b, "pharmacy %s %s", p.NPI, p.Name)
		for _, x := range p.Participations {
			fmt.Fprintf(&b, " [%s %s..%s]", x.Network, x.From, x.To)
		}
		for _, k := range sortedKeys(p.Attributes) {
			fmt.Fprintf(&b, " %s=%s", k, p.Attributes[k])
		}
		b.WriteString("\n")
	}
	for _, k := range sortedKeys(s.networks) {
		n := s.networks[k]
		fmt.Fprintf(&b, "network %s %s", n.ID, n.Type)
		for _, t := range n.Pricing {
			bc := "DEFAULT"
			if t.BrandClass != 0 {
				bc = t.BrandClass.String()
			}
			fmt.Fprintf(&b, " [%s awp-%s fee %s]", bc, t.AWPDiscount, t.DispensingFee)
		}
		b.WriteString("\n")
	}
	s.dumpPrescribers(&b)
	for _, k := range sortedKeys(s.schedules) {
		x := s.schedules[k]
		fmt.Fprintf(&b, "schedule %s %s %q %v\n", x.ID, x.Kind, x.Name, x.Columns)
		for _, l := range x.Lines {
			fmt.Fprintf(&b, "  %v", l.Values)
			for _, v := range []struct {
				name string
				d    *decimal.Decimal
			}{{"amount", l.Amount}, {"percent", l.Percent}, {"absolute", l.Absolute}} {
				if v.d != nil {
					fmt.Fprintf(&b, " %s %s", v.name, v.d)
				}
			}
			fmt.Fprintf(&b, " %s..%s\n", l.From, l.To)
		}
	}
	s.dumpPriorAuths(&b)
	if b.Len() == 0 {
		return "empty\n"
	}
	return b.String()
}

// dumpDrugs prints the adjudicator's drugs (dump holds the lock).
func (s *fakeSink) dumpDrugs(b *strings.Builder) {
	for _, k := range sortedKeys(s.drugs) {
		d := s.drugs[k]
		fmt.Fprintf(b, "drug %s %s %s %s", d.NDC, d.Name, d.TherapeuticClass, d.MultiSourceCode)
		if d.BrandGeneric != "" {
			fmt.Fprintf(b, " indicator %s", d.BrandGeneric)
		}
		if d.GenericNDC != "" {
			fmt.Fprintf(b, " generic %s", d.GenericNDC)
		}
		if d.DEASchedule != "" {
			fmt.Fprintf(b, " C-%s", d.DEASchedule)
		}
		for _, p := range d.Prices {
			fmt.Fprintf(b, " [%s awp %s mac %s]", p.Effective, p.AWP, p.MAC)
		}
		b.WriteString("\n")
	}
}

// dumpPrescribers prints the adjudicator's prescribers (dump holds the lock).
func (s *fakeSink) dumpPrescribers(b *strings.Builder) {
	for _, k := range sortedKeys(s.prescribers) {
		p := s.prescribers[k]
		fmt.Fprintf(b, "prescriber %s %s %s..%s", p.NPI, p.Name, p.From, p.To)
		if p.Excluded {
			b.WriteString(" excluded")
		}
		if p.DEA != "" {
			fmt.Fprintf(b, " DEA %s %v..%s", p.DEA, p.DEASchedules, p.DEAExpires)
		}
		b.WriteString("\n")
	}
}

// dumpPriorAuths writes the prior authorizations, one a line.
func (s *fakeSink) dumpPriorAuths(b *strings.Builder) {
	for _, k := range sortedKeys(s.priorAuths) {
		p := s.priorAuths[k]
		fmt.Fprintf(b, "prior authorization %s %s %s %s %s..%s: %s", k, p.Kind(), p.DrugRef, p.Note, p.From, p.To, p.Describe())
		if p.MaxFills > 0 {
			fmt.Fprintf(b, "; max fills %d", p.MaxFills)
		}
		b.WriteString("\n")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Readjudicate stands in for a retro job: each of the member's paid claims
// from j.From is reversed and billed again as "<id>-r"; a job run again
// reports the same lines and changes nothing.
func (s *fakeSink) Readjudicate(_ context.Context, j RetroJob) ([]RetroLine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lines, ok := s.retroJobs[j.ID]; ok {
		return lines, nil
	}
	var lines []RetroLine
	for i := range s.claims {
		c := &s.claims[i]
		if c.CardholderID != j.CardholderID || c.PersonCode != j.PersonCode || c.DateOfService.Before(j.From) || c.Status != "P" {
			continue
		}
		c.Status = "X"
		lines = append(lines, RetroLine{ClaimID: c.ClaimID, DateOfService: c.DateOfService.String(), State: "DONE", PlanBefore: c.PlanID,
			NewClaimID: c.ClaimID + "-r", StatusAfter: "P", PlanAfter: c.PlanID})
	}
	for _, ln := range lines {
		for _, c := range s.claims {
			if c.ClaimID == ln.ClaimID {
				c.ClaimID, c.Status = ln.NewClaimID, "P"
				s.claims = append(s.claims, c)
			}
		}
	}
	if s.retroJobs == nil {
		s.retroJobs = map[string][]RetroLine{}
	}
	s.retroJobs[j.ID] = lines
	return lines, nil
}
