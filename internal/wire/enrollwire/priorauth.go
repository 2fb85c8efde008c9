package enrollwire

import (
	"github.com/rxclaims/rxclaims/domain"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// PriorAuthToProto converts a prior authorization for the wire.
func PriorAuthToProto(p *domain.PriorAuth) *pb.PriorAuth {
	out := &pb.PriorAuth{
		CardholderId: p.CardholderID, PersonCode: p.PersonCode, Number: p.Number, Type: string(p.Kind()),
		Ndc: p.NDC, ClassPrefix: p.ClassPrefix, Effective: dateString(p.From), Termination: dateString(p.To),
		MaxDaysSupply: int32(p.MaxDaysSupply), Tier: int32(p.Tier), MaxFills: int32(p.MaxFills), Note: p.Note,
	}
	if !p.MaxQuantity.IsZero() {
		out.MaxQuantity = p.MaxQuantity.String()
	}
	if !p.MaxTotalQuantity.IsZero() {
		out.MaxTotalQuantity = p.MaxTotalQuantity.String()
	}
	return out
}

// PriorAuthFromProto converts a wire prior authorization; it checks dates
// and numbers (naming the field), not the record (domain.PriorAuth.Validate).
func PriorAuthFromProto(p *pb.PriorAuth) (domain.PriorAuth, error) {
	out := domain.PriorAuth{
		CardholderID: p.GetCardholderId(), PersonCode: p.GetPersonCode(), Number: p.GetNumber(),
		Type:          domain.PriorAuthType(p.GetType()),
		DrugRef:       domain.DrugRef{NDC: p.GetNdc(), ClassPrefix: p.GetClassPrefix()},
		MaxDaysSupply: int(p.GetMaxDaysSupply()), Tier: int(p.GetTier()), MaxFills: int(p.GetMaxFills()), Note: p.GetNote(),
	}
	var err error
	if out.Range, err = rangeFromProto("prior authorization", p.GetEffective(), p.GetTermination()); err != nil {
		return out, err
	}
	if out.MaxQuantity, err = parseOptDecimal("max_quantity", p.GetMaxQuantity()); err != nil {
		return out, err
	}
	out.MaxTotalQuantity, err = parseOptDecimal("max_total_quantity", p.GetMaxTotalQuantity())
	return out, err
}
