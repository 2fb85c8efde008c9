// Package wire converts between the engine's domain types and the
// generated protobuf messages of the gRPC API. (Stored records have
// messages and conversions of their own, in internal/store/records.)
package wire

import (
	"fmt"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
)

// ClaimFromProto converts a wire claim; nil stays nil (the engine reports it).
func ClaimFromProto(c *pb.Claim) *adjudicator.Claim {
	if c == nil {
		return nil
	}
	out := &adjudicator.Claim{
		BIN: c.GetBin(), PCN: c.GetProcessorControlNumber(), GroupID: c.GetGroupId(),
		CardholderID: c.GetCardholderId(), PersonCode: c.GetPersonCode(), DateOfBirth: c.GetDateOfBirth(),
		PatientGender: c.GetPatientGenderCode(), DateOfService: c.GetDateOfService(), RxNumber: c.GetRxNumber(),
		FillNumber: int(c.GetFillNumber()), ProductID: c.GetProductId(), Quantity: c.GetQuantityDispensed(),
		DaysSupply: int(c.GetDaysSupply()), DAW: c.GetDawCode(), IngredientCostSubmitted: c.GetIngredientCostSubmitted(),
		DispensingFeeSubmitted: c.GetDispensingFeeSubmitted(), UsualAndCustomary: c.GetUsualAndCustomaryCharge(),
		GrossAmountDue: c.GetGrossAmountDue(), PharmacyNPI: c.GetPharmacyNpi(), PrescriberNPI: c.GetPrescriberNpi(),
		SubmissionClarificationCodes: c.GetSubmissionClarificationCodes(), PriorAuthorizationNumber: c.GetPriorAuthorizationNumber(),
		DatePrescriptionWritten: c.GetDatePrescriptionWritten(), RefillsAuthorized: c.GetNumberOfRefillsAuthorized(),
		QuantityPrescribed: c.GetQuantityPrescribed(), OtherCoverageCode: c.GetOtherCoverageCode(),
	}
	for _, d := range c.GetDurServices() {
		out.DUR = append(out.DUR, adjudicator.DURService{Reason: d.GetReasonForService(), Professional: d.GetProfessionalService(), Result: d.GetResultOfService()})
	}
	return out
}

// ClaimToProto converts a domain claim to the wire, for clients.
func ClaimToProto(c *adjudicator.Claim) *pb.Claim {
	out := &pb.Claim{
		Bin: c.BIN, ProcessorControlNumber: c.PCN, GroupId: c.GroupID, CardholderId: c.CardholderID,
		PersonCode: c.PersonCode, DateOfBirth: c.DateOfBirth, PatientGenderCode: c.PatientGender,
		DateOfService: c.DateOfService, RxNumber: c.RxNumber, FillNumber: int32(c.FillNumber), ProductId: c.ProductID,
		QuantityDispensed: c.Quantity, DaysSupply: int32(c.DaysSupply), DawCode: c.DAW,
		IngredientCostSubmitted: c.IngredientCostSubmitted, DispensingFeeSubmitted: c.DispensingFeeSubmitted,
		UsualAndCustomaryCharge: c.UsualAndCustomary, GrossAmountDue: c.GrossAmountDue, PharmacyNpi: c.PharmacyNPI,
		PrescriberNpi: c.PrescriberNPI, SubmissionClarificationCodes: c.SubmissionClarificationCodes,
		PriorAuthorizationNumber: c.PriorAuthorizationNumber, DatePrescriptionWritten: c.DatePrescriptionWritten,
		NumberOfRefillsAuthorized: c.RefillsAuthorized, QuantityPrescribed: c.QuantityPrescribed, OtherCoverageCode: c.OtherCoverageCode,
	}
	for _, d := range c.DUR {
		out.DurServices = append(out.DurServices, &pb.DurService{ReasonForService: d.Reason, ProfessionalService: d.Professional, ResultOfService: d.Result})
	}
	return out
}

// ReversalFromProto converts a wire reversal; nil stays nil.
func ReversalFromProto(r *pb.Reversal) *adjudicator.Reversal {
	if r == nil {
		return nil
	}
	return &adjudicator.Reversal{
		BIN: r.GetBin(), PCN: r.GetProcessorControlNumber(), CardholderID: r.GetCardholderId(),
		PharmacyNPI: r.GetPharmacyNpi(), RxNumber: r.GetRxNumber(), FillNumber: int(r.GetFillNumber()),
		DateOfService: r.GetDateOfService(), ProductID: r.GetProductId(),
	}
}

// ReversalToProto converts a domain reversal to the wire, for clients.
func ReversalToProto(r *adjudicator.Reversal) *pb.Reversal {
	return &pb.Reversal{
		Bin: r.BIN, ProcessorControlNumber: r.PCN, CardholderId: r.CardholderID, PharmacyNpi: r.PharmacyNPI,
		RxNumber: r.RxNumber, FillNumber: int32(r.FillNumber), DateOfService: r.DateOfService, ProductId: r.ProductID,
	}
}

// Money formats an amount for the wire: a decimal string with two places.
func Money(d decimal.Decimal) string { return domain.FormatCents(d) }

// NullMoney formats an optional amount; "" when absent.
func NullMoney(d decimal.NullDecimal) string {
	if !d.Valid {
		return ""
	}
	return Money(d.Decimal)
}

// ResultToProto converts an engine response to the wire, with its trace
// formatted as text when trace is set.
func ResultToProto(r *adjudicator.Response, trace bool) *pb.ClaimResult {
	out := &pb.ClaimResult{
		ClaimId: r.ClaimID, TransactionStatus: string(r.Status), Message: r.Message,
		IngredientCostPaid: Money(r.IngredientCostPaid), DispensingFeePaid: Money(r.DispensingFeePaid),
		TotalAllowed: Money(r.TotalAllowed), TotalAmountPaid: Money(r.PlanPaid), PatientPayAmount: Money(r.PatientPay),
		DeductibleAmount: Money(r.Deductible), CopayAmount: Money(r.Copay), CoinsuranceAmount: Money(r.Coinsurance),
		ProductSelectionAmount: Money(r.ProductSelection), AmountExceedingBenefitMax: Money(r.ExceedingBenefitMax),
		AccumulatedDeductible: Money(r.AccumulatedDeductible), RemainingDeductible: Money(r.RemainingDeductible),
		RemainingBenefit: NullMoney(r.RemainingBenefit), RemainingOutOfPocket: NullMoney(r.RemainingOutOfPocket),
		BasisOfReimbursement: r.BasisOfReimbursement, PlanId: r.PlanID, NetworkType: r.NetworkType,
		NetworkClassification: r.NetworkClass, FormularyTier: int32(r.Tier), BrandClass: r.BrandClass,
		ReversedClaimId: r.ReversedClaimID, Flags: r.Flags,
	}
	for _, c := range r.Rejects {
		out.Rejects = append(out.Rejects, &pb.Reject{Code: string(c), Text: c.Text()})
	}
	for _, a := range r.DURAlerts {
		out.DurAlerts = append(out.DurAlerts, &pb.DurAlert{ReasonForService: a.Reason, Message: a.Message})
	}
	if trace {
		out.Trace = make([]*pb.TraceStep, len(r.Trace))
		for i, t := range r.Trace {
			out.Trace[i] = &pb.TraceStep{Step: t.Step, Rule: t.Rule, Outcome: t.Outcome()}
		}
	}
	return out
}

// ResultFromProto converts a wire result back to an engine response, for
// clients and the scenario tests that run over gRPC.
func ResultFromProto(p *pb.ClaimResult) (*adjudicator.Response, error) {
	r := &adjudicator.Response{
		ClaimID: p.GetClaimId(), Status: adjudicator.Status(p.GetTransactionStatus()), Message: p.GetMessage(),
		BasisOfReimbursement: p.GetBasisOfReimbursement(), PlanID: p.GetPlanId(), NetworkType: p.GetNetworkType(),
		NetworkClass: p.GetNetworkClassification(), Tier: int(p.GetFormularyTier()), BrandClass: p.GetBrandClass(),
		ReversedClaimID: p.GetReversedClaimId(), Flags: p.GetFlags(),
	}
	fields := []struct {
		dst *decimal.Decimal
		src string
	}{
		{&r.IngredientCostPaid, p.GetIngredientCostPaid()}, {&r.DispensingFeePaid, p.GetDispensingFeePaid()},
		{&r.TotalAllowed, p.GetTotalAllowed()}, {&r.PlanPaid, p.GetTotalAmountPaid()}, {&r.PatientPay, p.GetPatientPayAmount()},
		{&r.Deductible, p.GetDeductibleAmount()}, {&r.Copay, p.GetCopayAmount()}, {&r.Coinsurance, p.GetCoinsuranceAmount()},
		{&r.ProductSelection, p.GetProductSelectionAmount()}, {&r.ExceedingBenefitMax, p.GetAmountExceedingBenefitMax()},
		{&r.AccumulatedDeductible, p.GetAccumulatedDeductible()}, {&r.RemainingDeductible, p.GetRemainingDeductible()},
	}
	for _, f := range fields {
		v, err := decimal.NewFromString(f.src)
		if err != nil {
			return nil, fmt.Errorf("amount %s: %w", domain.Quote(f.src), err)
		}
		*f.dst = v
	}
	for _, nf := range []struct {
		dst *decimal.NullDecimal
		src string
	}{{&r.RemainingBenefit, p.GetRemainingBenefit()}, {&r.RemainingOutOfPocket, p.GetRemainingOutOfPocket()}} {
		if nf.src == "" {
			continue
		}
		v, err := decimal.NewFromString(nf.src)
		if err != nil {
			return nil, fmt.Errorf("amount %s: %w", domain.Quote(nf.src), err)
		}
		*nf.dst = decimal.NullDecimal{Decimal: v, Valid: true}
	}
	for _, rj := range p.GetRejects() {
		code, ok := ncpdp.LookupReject(rj.GetCode())
		if !ok {
			return nil, fmt.Errorf("unknown reject code %s", domain.Quote(rj.GetCode()))
		}
		r.Rejects = append(r.Rejects, code)
	}
	for _, a := range p.GetDurAlerts() {
		r.DURAlerts = append(r.DURAlerts, adjudicator.DURAlert{Reason: a.GetReasonForService(), Message: a.GetMessage()})
	}
	for _, t := range p.GetTrace() {
		r.Trace = append(r.Trace, adjudicator.TraceStep{Step: t.GetStep(), Rule: t.GetRule(), Text: t.GetOutcome()})
	}
	return r, nil
}
