package records

import (
	"fmt"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
)

// claimToStored converts the claim as billed; nil stays nil.
func claimToStored(c *adjudicator.Claim) *storev1.Claim {
	if c == nil {
		return nil
	}
	out := &storev1.Claim{
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
		out.DurServices = append(out.DurServices, &storev1.DurService{ReasonForService: d.Reason, ProfessionalService: d.Professional, ResultOfService: d.Result})
	}
	return out
}

// claimFromStored converts a stored claim; nil stays nil.
func claimFromStored(c *storev1.Claim) *adjudicator.Claim {
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

// resultToStored converts a response. Amounts are written with two places,
// as they are answered.
func resultToStored(r *adjudicator.Response, form TraceForm) *storev1.ClaimResult {
	money, nullMoney := domain.FormatCents, func(d decimal.NullDecimal) string {
		if !d.Valid {
			return ""
		}
		return domain.FormatCents(d.Decimal)
	}
	out := &storev1.ClaimResult{
		ClaimId: r.ClaimID, TransactionStatus: string(r.Status), Message: r.Message,
		IngredientCostPaid: money(r.IngredientCostPaid), DispensingFeePaid: money(r.DispensingFeePaid),
		TotalAllowed: money(r.TotalAllowed), TotalAmountPaid: money(r.PlanPaid), PatientPayAmount: money(r.PatientPay),
		DeductibleAmount: money(r.Deductible), CopayAmount: money(r.Copay), CoinsuranceAmount: money(r.Coinsurance),
		ProductSelectionAmount: money(r.ProductSelection), AmountExceedingBenefitMax: money(r.ExceedingBenefitMax),
		AccumulatedDeductible: money(r.AccumulatedDeductible), RemainingDeductible: money(r.RemainingDeductible),
		RemainingBenefit: nullMoney(r.RemainingBenefit), RemainingOutOfPocket: nullMoney(r.RemainingOutOfPocket),
		BasisOfReimbursement: r.BasisOfReimbursement, PlanId: r.PlanID, NetworkType: r.NetworkType,
		NetworkClassification: r.NetworkClass, FormularyTier: int32(r.Tier), BrandClass: r.BrandClass,
		ReversedClaimId: r.ReversedClaimID,
	}
	for _, c := range r.Rejects {
		out.Rejects = append(out.Rejects, &storev1.Reject{Code: string(c), Text: c.Text()})
	}
	for _, a := range r.DURAlerts {
		out.DurAlerts = append(out.DurAlerts, &storev1.DurAlert{ReasonForService: a.Reason, Message: a.Message})
	}
	if len(r.Trace) > 0 {
		out.TraceSteps = encodeTrace(r.Trace, form)
	}
	return out
}

// resultFromStored converts a stored response back.
func resultFromStored(p *storev1.ClaimResult) (*adjudicator.Response, error) {
	r := &adjudicator.Response{
		ClaimID: p.GetClaimId(), Status: adjudicator.Status(p.GetTransactionStatus()), Message: p.GetMessage(),
		BasisOfReimbursement: p.GetBasisOfReimbursement(), PlanID: p.GetPlanId(), NetworkType: p.GetNetworkType(),
		NetworkClass: p.GetNetworkClassification(), Tier: int(p.GetFormularyTier()), BrandClass: p.GetBrandClass(),
		ReversedClaimID: p.GetReversedClaimId(),
	}
	if err := resultAmountsFromStored(r, p); err != nil {
		return nil, err
	}
	for _, rj := range p.GetRejects() {
		code, ok := ncpdp.LookupReject(rj.GetCode())
		if !ok {
			return nil, fmt.Errorf("unknown reject code %q", rj.GetCode())
		}
		r.Rejects = append(r.Rejects, code)
	}
	for _, a := range p.GetDurAlerts() {
		r.DURAlerts = append(r.DURAlerts, adjudicator.DURAlert{Reason: a.GetReasonForService(), Message: a.GetMessage()})
	}
	for _, t := range p.GetTrace() { // a record written before trace_steps
		r.Trace = append(r.Trace, adjudicator.TraceStep{Step: t.GetStep(), Rule: t.GetRule(), Text: t.GetOutcome()})
	}
	if b := p.GetTraceSteps(); len(b) > 0 {
		trace, err := decodeTrace(b)
		if err != nil {
			return nil, err
		}
		r.Trace = append(r.Trace, trace...)
	}
	return r, nil
}

// resultAmountsFromStored parses the response's amounts into r.
func resultAmountsFromStored(r *adjudicator.Response, p *storev1.ClaimResult) error {
	return amountsFromStored(r, &[14]string{p.GetIngredientCostPaid(), p.GetDispensingFeePaid(), p.GetTotalAllowed(),
		p.GetTotalAmountPaid(), p.GetPatientPayAmount(), p.GetDeductibleAmount(), p.GetCopayAmount(), p.GetCoinsuranceAmount(),
		p.GetProductSelectionAmount(), p.GetAmountExceedingBenefitMax(), p.GetAccumulatedDeductible(), p.GetRemainingDeductible(),
		p.GetRemainingBenefit(), p.GetRemainingOutOfPocket()})
}

// amountsFromStored parses a response's amounts, in the order of their
// field numbers (storev1.ClaimResult 5 to 18), into r.
func amountsFromStored(r *adjudicator.Response, a *[14]string) error {
	for i, dst := range [...]*decimal.Decimal{&r.IngredientCostPaid, &r.DispensingFeePaid, &r.TotalAllowed, &r.PlanPaid,
		&r.PatientPay, &r.Deductible, &r.Copay, &r.Coinsurance, &r.ProductSelection, &r.ExceedingBenefitMax,
		&r.AccumulatedDeductible, &r.RemainingDeductible} {
		v, err := centsFromStored(a[i])
		if err != nil {
			return err
		}
		*dst = v
	}
	for i, dst := range [...]*decimal.NullDecimal{&r.RemainingBenefit, &r.RemainingOutOfPocket} {
		if a[12+i] == "" {
			continue
		}
		v, err := centsFromStored(a[12+i])
		if err != nil {
			return err
		}
		*dst = decimal.NullDecimal{Decimal: v, Valid: true}
	}
	return nil
}

// zeroCents is "0.00" read back. Decimals are values no operation
// changes, so every zero amount read shares it.
var zeroCents = decimal.New(0, -2)

// centsFromStored parses an answered amount, which is always written in
// cents: one with a fraction of a cent is a damaged record, refused rather
// than read as an amount it would not be written back as, and so is one
// whose exponent is far outside money's (rounding it would build a
// coefficient of that many digits).
func centsFromStored(s string) (decimal.Decimal, error) {
	if s == "0.00" { // most of a response's amounts: no parse, no allocation
		return zeroCents, nil
	}
	v, ok := money.Parse(s)
	if !ok {
		var err error
		if v, err = decimal.NewFromString(s); err != nil {
			return v, fmt.Errorf("amount %q: %w", s, err)
		}
	}
	if e := v.Exponent(); e < -40 || e > 20 || (e < -2 && !v.Equal(v.Round(2))) {
		return v, fmt.Errorf("amount %q: not in cents", s)
	}
	return v, nil
}
