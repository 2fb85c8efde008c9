package adjudicator

import (
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// parsedClaim is a claim whose fields passed the syntax step.
type parsedClaim struct {
	*Claim
	personCode string
	rx         string // the Rx number, canonical
	dob, dos   domain.Date
	ndc        string
	qty        decimal.Decimal
	daw        string
	ingredient decimal.Decimal
	fee        decimal.Decimal
	uc         decimal.Decimal
	ucIgnored  bool // a U&C of 0.00 the plan leaves out of the lesser-of
	gross      decimal.Decimal

	// The prescription as written, each zero when not sent.
	written       domain.Date     // date prescription written [414-DE]
	refills       int             // refills authorized [415-DF]; -1 when not sent
	qtyPrescribed decimal.Decimal // quantity prescribed [460-ET]
	occ           string          // other coverage code [308-C8], one digit; "0" when not sent
}

// claimParse is a claim's syntax step as it left it: parsed, keyed and
// hashed (ok), for a dry run to take again instead of parsing the claim
// again.
type claimParse struct {
	claim parsedClaim
	key   ClaimKey
	hash  string
	ok    bool
}

func (p *parsedClaim) key() ClaimKey {
	return ClaimKey{PharmacyNPI: p.PharmacyNPI, RxNumber: p.rx, FillNumber: p.FillNumber, DateOfService: p.dos.String()}
}

// Limits of the fields, from the NCPDP D.0 formats.
const (
	maxDaysSupply = 365
	maxFillNumber = 99
	maxRxDigits   = 12
	maxSCC        = 3
	maxDUR        = 9
)

var maxQuantity = decimal.NewFromInt(9_999_999)

// parseClaim runs the syntax step (DOMAIN.md section 6.1): it reports every
// missing or invalid field with its M/I reject code, in field order.
func parseClaim(c *Claim, today domain.Date) (*parsedClaim, []ncpdp.RejectCode) {
	p := &parsedClaim{Claim: c}
	var rejects []ncpdp.RejectCode
	bad := func(code ncpdp.RejectCode) { rejects = append(rejects, code) }

	if !domain.IsDigits(c.BIN, 6, 6) {
		bad(ncpdp.RejectMIIINNumber)
	}
	if !domain.IsAlnum(c.PCN, 1, 10) {
		bad(ncpdp.RejectMIProcessorControlNumber)
	}
	if c.GroupID != "" && !domain.IsAlnum(c.GroupID, 1, 15) {
		bad(ncpdp.RejectMIGroupID)
	}
	if !domain.IsAlnum(c.CardholderID, 1, 20) {
		bad(ncpdp.RejectMICardholderID)
	}
	var ok bool
	if p.personCode, ok = normalizePersonCode(c.PersonCode); !ok {
		bad(ncpdp.RejectMIPersonCode)
	}
	dos, dosErr := domain.ParseDate(c.DateOfService)
	if dosErr != nil {
		bad(ncpdp.RejectMIDateOfService15)
	}
	dob, err := domain.ParseDate(c.DateOfBirth)
	if err != nil || (dosErr == nil && dob.After(dos)) {
		bad(ncpdp.RejectMIDateOfBirth)
	}
	switch c.PatientGender {
	case "", "0", "1", "2":
	default:
		bad(ncpdp.RejectMIPatientGenderCode)
	}
	if !domain.IsDigits(c.RxNumber, 1, maxRxDigits) {
		bad(ncpdp.RejectMIPrescriptionServiceReferenceNumber)
	}
	p.rx = canonicalRxNumber(c.RxNumber)
	if c.FillNumber < 0 || c.FillNumber > maxFillNumber {
		bad(ncpdp.RejectMIFillNumber17)
	}
	p.ndc = normalizeNDC(c.ProductID)
	if !domain.IsDigits(p.ndc, 11, 11) {
		bad(ncpdp.RejectMIProductServiceID)
	}
	if p.qty, ok = parseAmount(c.Quantity, 3); !ok || !p.qty.IsPositive() || p.qty.GreaterThan(maxQuantity) {
		bad(ncpdp.RejectMIQuantityDispensed)
	}
	if c.DaysSupply < 1 || c.DaysSupply > maxDaysSupply {
		bad(ncpdp.RejectMIDaysSupply)
	}
	p.daw = c.DAW
	if p.daw == "" {
		p.daw = "0"
	}
	if !ncpdp.DAW.Has(p.daw) {
		bad(ncpdp.RejectMIDispenseAsWrittenDAWProductSelectionCode)
	}
	if p.ingredient, ok = parseAmount(c.IngredientCostSubmitted, 2); !ok {
		bad(ncpdp.RejectMIIngredientCostSubmitted)
	}
	if c.DispensingFeeSubmitted != "" {
		if p.fee, ok = parseAmount(c.DispensingFeeSubmitted, 2); !ok {
			bad(ncpdp.RejectMIDispensingFeeSubmitted)
		}
	}
	if p.uc, ok = parseAmount(c.UsualAndCustomary, 2); !ok {
		bad(ncpdp.RejectMIUsualAndCustomaryCharge)
	}
	if p.gross, ok = parseAmount(c.GrossAmountDue, 2); !ok {
		bad(ncpdp.RejectMIGrossAmountDue)
	}
	if !domain.ValidNPI(c.PharmacyNPI) {
		bad(ncpdp.RejectMIServiceProviderNumber)
	}
	if !domain.ValidNPI(c.PrescriberNPI) {
		bad(ncpdp.RejectMIPrescriberID)
	}
	if len(c.SubmissionClarificationCodes) > maxSCC {
		bad(ncpdp.RejectMISubmissionClarificationCodeCount)
	}
	for _, s := range c.SubmissionClarificationCodes {
		if !ncpdp.SubmissionClarification.Has(s) {
			bad(ncpdp.RejectMISubmissionClarificationCode)
			break
		}
	}
	if len(c.DUR) > maxDUR {
		bad(ncpdp.RejectMIDURPPSCodeCounter)
	}
	for _, d := range c.DUR {
		if d.Reason != "" && !ncpdp.DURReason.Has(d.Reason) {
			bad(ncpdp.RejectMIReasonForServiceCode)
		}
		if d.Professional != "" && !ncpdp.DURProfessional.Has(d.Professional) {
			bad(ncpdp.RejectMIProfessionalServiceCode)
		}
		if d.Result != "" && !ncpdp.DURResult.Has(d.Result) {
			bad(ncpdp.RejectMIResultOfServiceCode)
		}
	}
	p.parsePrescription(dosErr == nil, dos, bad)
	if len(rejects) == 0 && dos.After(today) {
		bad(ncpdp.RejectClaimIsPostDated)
	}
	p.dob, p.dos = dob, dos
	return p, rejects
}

// parseReversal runs the syntax step for a reversal.
func parseReversal(r *Reversal) (ClaimKey, []ncpdp.RejectCode) {
	var rejects []ncpdp.RejectCode
	bad := func(code ncpdp.RejectCode) { rejects = append(rejects, code) }
	if !domain.IsDigits(r.BIN, 6, 6) {
		bad(ncpdp.RejectMIIINNumber)
	}
	if !domain.IsAlnum(r.PCN, 1, 10) {
		bad(ncpdp.RejectMIProcessorControlNumber)
	}
	if r.CardholderID != "" && !domain.IsAlnum(r.CardholderID, 1, 20) {
		bad(ncpdp.RejectMICardholderID)
	}
	if !domain.ValidNPI(r.PharmacyNPI) {
		bad(ncpdp.RejectMIServiceProviderNumber)
	}
	if !domain.IsDigits(r.RxNumber, 1, maxRxDigits) {
		bad(ncpdp.RejectMIPrescriptionServiceReferenceNumber)
	}
	if r.FillNumber < 0 || r.FillNumber > maxFillNumber {
		bad(ncpdp.RejectMIFillNumber17)
	}
	dos, err := domain.ParseDate(r.DateOfService)
	if err != nil {
		bad(ncpdp.RejectMIDateOfService15)
	}
	if r.ProductID != "" && !domain.IsDigits(normalizeNDC(r.ProductID), 11, 11) {
		bad(ncpdp.RejectMIProductServiceID)
	}
	return ClaimKey{PharmacyNPI: r.PharmacyNPI, RxNumber: canonicalRxNumber(r.RxNumber), FillNumber: r.FillNumber, DateOfService: dos.String()}, rejects
}

// parseAmount parses a non-negative decimal with at most places decimals.
func parseAmount(s string, places int) (decimal.Decimal, bool) {
	if s == "" || len(s) > 16 {
		return decimal.Zero, false
	}
	dot := -1
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.' && dot < 0 && i > 0:
			dot = i
		case s[i] < '0' || s[i] > '9':
			return decimal.Zero, false
		}
	}
	if dot >= 0 && (len(s)-dot-1 > places || dot == len(s)-1) {
		return decimal.Zero, false
	}
	// At most 16 digits fit an int64, so the coefficient is read without
	// decimal.NewFromString's string copies and big.Int parse; the result
	// is the decimal NewFromString gives, exponent included (TestParseAmount).
	var coef int64
	exp := int32(0)
	for i := 0; i < len(s); i++ {
		if i == dot {
			exp = -int32(len(s) - dot - 1)
			continue
		}
		coef = coef*10 + int64(s[i]-'0')
	}
	return money.New(coef, exp), true // shared when small
}

// normalizePersonCode accepts 1 to 3 digits and pads to NCPDP's 3.
func normalizePersonCode(s string) (string, bool) {
	if !domain.IsDigits(s, 1, 3) {
		return "", false
	}
	if len(s) == 3 { // as switches send it: no padding, no allocation
		return s, true
	}
	return ("000" + s)[len(s):], true
}

// normalizeNDC removes the hyphens of a formatted NDC-11.
func normalizeNDC(s string) string { return strings.ReplaceAll(s, "-", "") }
