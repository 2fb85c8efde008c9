package adjudicator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// Claim is the content of a billing transaction as submitted, field by
// field as strings, so syntax errors can be reported with their reject codes.
type Claim struct {
	BIN                          string       `json:"bin"`
	PCN                          string       `json:"pcn"`
	GroupID                      string       `json:"group_id,omitempty"`
	CardholderID                 string       `json:"cardholder_id"`
	PersonCode                   string       `json:"person_code"`
	DateOfBirth                  string       `json:"date_of_birth"`
	PatientGender                string       `json:"patient_gender,omitempty"`
	DateOfService                string       `json:"date_of_service"`
	RxNumber                     string       `json:"rx_number"`
	FillNumber                   int          `json:"fill_number"`
	ProductID                    string       `json:"product_id"`
	Quantity                     string       `json:"quantity"`
	DaysSupply                   int          `json:"days_supply"`
	DAW                          string       `json:"daw,omitempty"`
	IngredientCostSubmitted      string       `json:"ingredient_cost_submitted"`
	DispensingFeeSubmitted       string       `json:"dispensing_fee_submitted,omitempty"`
	UsualAndCustomary            string       `json:"usual_and_customary"`
	GrossAmountDue               string       `json:"gross_amount_due"`
	PharmacyNPI                  string       `json:"pharmacy_npi"`
	PrescriberNPI                string       `json:"prescriber_npi"`
	SubmissionClarificationCodes []string     `json:"submission_clarification_codes,omitempty"`
	DUR                          []DURService `json:"dur,omitempty"`
	PriorAuthorizationNumber     string       `json:"prior_authorization_number,omitempty"`
	// The prescription as written (DOMAIN.md section 6, steps 1 and 5a), each optional:
	// date written [414-DE], refills authorized [415-DF], quantity
	// prescribed [460-ET]; and the other coverage code [308-C8].
	DatePrescriptionWritten string `json:"date_prescription_written,omitempty"`
	RefillsAuthorized       string `json:"number_of_refills_authorized,omitempty"`
	QuantityPrescribed      string `json:"quantity_prescribed,omitempty"`
	OtherCoverageCode       string `json:"other_coverage_code,omitempty"`
}

// DURService is one submitted DUR/professional service repetition.
type DURService struct {
	Reason       string `json:"reason,omitempty"`
	Professional string `json:"professional,omitempty"`
	Result       string `json:"result,omitempty"`
}

// Reversal identifies the paid claim to reverse.
type Reversal struct {
	BIN           string `json:"bin"`
	PCN           string `json:"pcn"`
	CardholderID  string `json:"cardholder_id,omitempty"`
	PharmacyNPI   string `json:"pharmacy_npi"`
	RxNumber      string `json:"rx_number"`
	FillNumber    int    `json:"fill_number"`
	DateOfService string `json:"date_of_service"`
	ProductID     string `json:"product_id,omitempty"`
}

// ClaimKey identifies a prescription fill for duplicate checking.
type ClaimKey struct {
	PharmacyNPI   string `json:"pharmacy_npi"`
	RxNumber      string `json:"rx_number"`
	FillNumber    int    `json:"fill_number"`
	DateOfService string `json:"date_of_service"`
}

func (k ClaimKey) String() string {
	return fmt.Sprintf("%s/%s/%d/%s", k.PharmacyNPI, k.RxNumber, k.FillNumber, k.DateOfService)
}

// ErrInvalid marks a request the engine cannot read at all (as opposed to a
// claim with bad content, which is rejected with NCPDP codes).
var ErrInvalid = errors.New("invalid request")

// ErrInternal marks a failure of the engine's own consistency (a broken
// invariant): retrying will not help.
var ErrInternal = errors.New("internal inconsistency")

// maxField bounds every string field; longer input is not a claim.
const maxField = 64

// checkEnvelope rejects requests that are unusable as a whole.
func (c *Claim) checkEnvelope() error {
	if c == nil {
		return fmt.Errorf("%w: claim is required", ErrInvalid)
	}
	fields := []struct{ name, v string }{
		{"bin", c.BIN}, {"processor_control_number", c.PCN}, {"group_id", c.GroupID}, {"cardholder_id", c.CardholderID},
		{"person_code", c.PersonCode}, {"date_of_birth", c.DateOfBirth}, {"patient_gender_code", c.PatientGender},
		{"date_of_service", c.DateOfService}, {"rx_number", c.RxNumber}, {"product_id", c.ProductID},
		{"quantity_dispensed", c.Quantity}, {"daw_code", c.DAW}, {"ingredient_cost_submitted", c.IngredientCostSubmitted},
		{"dispensing_fee_submitted", c.DispensingFeeSubmitted}, {"usual_and_customary_charge", c.UsualAndCustomary},
		{"gross_amount_due", c.GrossAmountDue}, {"pharmacy_npi", c.PharmacyNPI}, {"prescriber_npi", c.PrescriberNPI},
		{"prior_authorization_number", c.PriorAuthorizationNumber},
		{"date_prescription_written", c.DatePrescriptionWritten}, {"number_of_refills_authorized", c.RefillsAuthorized},
		{"quantity_prescribed", c.QuantityPrescribed}, {"other_coverage_code", c.OtherCoverageCode},
	}
	for _, f := range fields {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	if len(c.SubmissionClarificationCodes) > 20 || len(c.DUR) > 20 {
		return fmt.Errorf("%w: too many repetitions (at most 20 clarification codes and 20 DUR segments are read)", ErrInvalid)
	}
	for _, s := range c.SubmissionClarificationCodes {
		if err := checkText("submission clarification code", s); err != nil {
			return err
		}
	}
	for _, d := range c.DUR {
		for _, v := range []string{d.Reason, d.Professional, d.Result} {
			if err := checkText("DUR code", v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkText refuses a field longer than maxField bytes, or not UTF-8 (a
// claim the store could not encode, so one that must not be adjudicated).
func checkText(name, v string) error {
	switch {
	case len(v) > maxField:
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, name, maxField)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, name)
	}
	return nil
}

func (r *Reversal) checkEnvelope() error {
	if r == nil {
		return fmt.Errorf("%w: reversal is required", ErrInvalid)
	}
	for _, v := range []string{r.BIN, r.PCN, r.CardholderID, r.PharmacyNPI, r.RxNumber, r.DateOfService, r.ProductID} {
		if err := checkText("a field", v); err != nil {
			return err
		}
	}
	return nil
}

// hash is a digest of the claim's whole content: an identical resubmission
// has the same hash. The Rx number enters in its canonical form.
func (c *Claim) hash() string {
	// The fields, each ended by 0x1f, in a buffer on the stack unless a
	// claim's text is longer.
	buf := make([]byte, 0, 512)
	w := func(parts ...string) {
		for _, p := range parts {
			buf = append(buf, p...)
		}
		buf = append(buf, 0x1f)
	}
	for _, s := range []string{c.BIN, c.PCN, c.GroupID, c.CardholderID, c.PersonCode, c.DateOfBirth, c.PatientGender,
		c.DateOfService, canonicalRxNumber(c.RxNumber), strconv.Itoa(c.FillNumber), c.ProductID, c.Quantity, strconv.Itoa(c.DaysSupply), c.DAW,
		c.IngredientCostSubmitted, c.DispensingFeeSubmitted, c.UsualAndCustomary, c.GrossAmountDue, c.PharmacyNPI,
		c.PrescriberNPI, c.PriorAuthorizationNumber} {
		w(s)
	}
	for _, s := range c.SubmissionClarificationCodes {
		w("scc:", s)
	}
	// The prescription fields enter only when sent, so a claim without them
	// hashes as it did before they existed (stored hashes stay valid).
	for _, f := range []struct{ tag, v string }{{"de:", c.DatePrescriptionWritten}, {"df:", c.RefillsAuthorized},
		{"et:", c.QuantityPrescribed}, {"c8:", c.OtherCoverageCode}} {
		if f.v != "" {
			w(f.tag, f.v)
		}
	}
	for _, d := range c.DUR {
		w("dur:", d.Reason, "/", d.Professional, "/", d.Result)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}

func (r *Reversal) hash() string {
	s := fmt.Sprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%s\x1f%s", r.BIN, r.PCN, r.CardholderID, r.PharmacyNPI, canonicalRxNumber(r.RxNumber), r.FillNumber, r.DateOfService, r.ProductID)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// Status is the NCPDP transaction status [112-AN].
type Status string

// The transaction statuses.
const (
	Paid      Status = "P"
	Rejected  Status = "R"
	Duplicate Status = "D"
	Accepted  Status = "A"
)

// Response is the outcome of a transaction (DOMAIN.md section 5).
type Response struct {
	ClaimID               string              `json:"claim_id"`
	Status                Status              `json:"status"`
	Rejects               []ncpdp.RejectCode  `json:"rejects,omitempty"`
	Message               string              `json:"message"`
	IngredientCostPaid    decimal.Decimal     `json:"ingredient_cost_paid"`
	DispensingFeePaid     decimal.Decimal     `json:"dispensing_fee_paid"`
	TotalAllowed          decimal.Decimal     `json:"total_allowed"`
	PlanPaid              decimal.Decimal     `json:"plan_paid"`
	PatientPay            decimal.Decimal     `json:"patient_pay"`
	Deductible            decimal.Decimal     `json:"deductible"`
	Copay                 decimal.Decimal     `json:"copay"`
	Coinsurance           decimal.Decimal     `json:"coinsurance"`
	ProductSelection      decimal.Decimal     `json:"product_selection"`
	ExceedingBenefitMax   decimal.Decimal     `json:"exceeding_benefit_max"`
	AccumulatedDeductible decimal.Decimal     `json:"accumulated_deductible"`
	RemainingDeductible   decimal.Decimal     `json:"remaining_deductible"`
	RemainingBenefit      decimal.NullDecimal `json:"remaining_benefit"`
	RemainingOutOfPocket  decimal.NullDecimal `json:"remaining_out_of_pocket"`
	BasisOfReimbursement  string              `json:"basis,omitempty"`
	DURAlerts             []DURAlert          `json:"dur_alerts,omitempty"`
	PlanID                string              `json:"plan_id,omitempty"`
	NetworkType           string              `json:"network_type,omitempty"`
	NetworkClass          string              `json:"network_class,omitempty"`
	Tier                  int                 `json:"tier,omitempty"`
	BrandClass            string              `json:"brand_class,omitempty"`
	Trace                 []TraceStep         `json:"trace,omitempty"`
	ReversedClaimID       string              `json:"reversed_claim_id,omitempty"`

	// Notes are appended to a rejection message, such as the earliest fill
	// date of a refill too soon; they are part of Message, not stored apart.
	Notes []string `json:"-"`
	// Flags mark what this adjudication found that the plan should see
	// (FlagNoCostShare); bounded values, which the metrics count. They
	// belong to the adjudication: a duplicate's answer carries none.
	Flags []string `json:"-"`
}

// DURAlert is a DUR warning returned with the response.
type DURAlert struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// maxRejects is how many reject codes a response carries [511-FB].
const maxRejects = 5

// reject adds reject codes (up to five in all) and marks the response rejected.
func (r *Response) reject(codes ...ncpdp.RejectCode) {
	for _, c := range codes {
		if len(r.Rejects) < maxRejects && !containsReject(r.Rejects, c) {
			r.Rejects = append(r.Rejects, c)
		}
	}
	r.Status = Rejected
}

func containsReject(list []ncpdp.RejectCode, c ncpdp.RejectCode) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// finishMessage sets the human message from the status and rejects.
func (r *Response) finishMessage() {
	switch r.Status {
	case Rejected:
		texts := make([]string, len(r.Rejects))
		for i, c := range r.Rejects {
			texts[i] = string(c) + " " + c.Text()
		}
		r.Message = "REJECTED: " + strings.Join(append(texts, r.Notes...), "; ")
	case Paid:
		r.Message = "PAID"
	case Accepted:
		r.Message = "REVERSAL ACCEPTED"
	}
}

// centsHold reports whether the amounts (in Check's order) are all in
// whole cents that fit int64, none negative, and the sums of Check hold:
// Check's answer without big-integer arithmetic for every usual response.
// false sends Check to its decimal arithmetic, which words the error.
func (r *Response) centsHold(amounts [12]decimal.Decimal) bool {
	var c [12]int64
	for i, a := range amounts {
		v, ok := domain.Cents(a)
		if !ok || v < 0 {
			return false
		}
		c[i] = v
	}
	ingredient, fee, total, plan, patient := c[0], c[1], c[2], c[3], c[4]
	ded, copay, coins, product, exceeding := c[5], c[6], c[7], c[8], c[9]
	return ded+copay+coins+product+exceeding == patient && patient+plan == total && ingredient+fee == total
}

// Check verifies the invariants of DOMAIN.md section 5.
func (r *Response) Check() error {
	if (r.Status == Rejected) != (len(r.Rejects) > 0) || len(r.Rejects) > maxRejects {
		return fmt.Errorf("status %s with %d reject codes", r.Status, len(r.Rejects))
	}
	amounts := [...]decimal.Decimal{r.IngredientCostPaid, r.DispensingFeePaid, r.TotalAllowed, r.PlanPaid, r.PatientPay,
		r.Deductible, r.Copay, r.Coinsurance, r.ProductSelection, r.ExceedingBenefitMax, r.AccumulatedDeductible, r.RemainingDeductible}
	if r.centsHold(amounts) {
		return nil
	}
	for _, a := range amounts {
		if a.IsNegative() {
			return fmt.Errorf("negative amount %s", a)
		}
		if !domain.WholeCents(a) {
			return fmt.Errorf("amount %s is not whole cents", a)
		}
	}
	parts := r.Deductible.Add(r.Copay).Add(r.Coinsurance).Add(r.ProductSelection).Add(r.ExceedingBenefitMax)
	if !parts.Equal(r.PatientPay) {
		return fmt.Errorf("patient pay %s != sum of its components %s", r.PatientPay, parts)
	}
	if !r.PatientPay.Add(r.PlanPaid).Equal(r.TotalAllowed) {
		return fmt.Errorf("patient pay %s + plan paid %s != total allowed %s", r.PatientPay, r.PlanPaid, r.TotalAllowed)
	}
	if !r.IngredientCostPaid.Add(r.DispensingFeePaid).Equal(r.TotalAllowed) {
		return fmt.Errorf("ingredient %s + fee %s != total allowed %s", r.IngredientCostPaid, r.DispensingFeePaid, r.TotalAllowed)
	}
	return nil
}
