package adjudicator

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// This file holds the checks of the prescription as written and of the
// prescriber (DOMAIN.md section 6, steps 3, 5a and 5b): date written, refills
// authorized, quantity prescribed, other coverage code, prescriber file.

// Other coverage code [308-C8] values of the D.0 External Code List.
var otherCoverageCodes = map[string]string{
	"0": "not specified by patient",
	"1": "no other coverage",
	"2": "other coverage exists, payment collected",
	"3": "other coverage billed, claim not covered",
	"4": "other coverage exists, payment not collected",
	"8": "claim is billing for patient financial responsibility only",
}

// Refill limits of the Controlled Substances Act: a C-II prescription may
// not be refilled (21 CFR 1306.12), a C-III to C-V one at most five times
// (21 CFR 1306.22).
const maxRefillsControlled = 5

// parsePrescription reads the prescription fields of the syntax step. The
// fields are optional; each one sent must be well formed: 28 for a date
// written that is no date, AB for one after the date of service, 29 for
// refills authorized outside 0 to 99, ET for a quantity prescribed that is
// not a positive quantity, 13 for an other coverage code not in the list.
func (p *parsedClaim) parsePrescription(dosOK bool, dos domain.Date, bad func(ncpdp.RejectCode)) {
	c := p.Claim
	if c.DatePrescriptionWritten != "" {
		w, err := domain.ParseDate(c.DatePrescriptionWritten)
		switch {
		case err != nil:
			bad(ncpdp.RejectMIDatePrescriptionWritten)
		case dosOK && w.After(dos):
			bad(ncpdp.RejectDateWrittenIsAfterDateFilled)
		}
		p.written = w
	}
	p.refills = -1
	if c.RefillsAuthorized != "" {
		if !domain.IsDigits(c.RefillsAuthorized, 1, 2) {
			bad(ncpdp.RejectMINumberOfRefillsAuthorized)
		} else {
			p.refills, _ = strconv.Atoi(c.RefillsAuthorized)
		}
	}
	if c.QuantityPrescribed != "" {
		q, ok := parseAmount(c.QuantityPrescribed, 3)
		if !ok || !q.IsPositive() || q.GreaterThan(maxQuantity) {
			bad(ncpdp.RejectMIQuantityPrescribed)
		}
		p.qtyPrescribed = q
	}
	p.occ = "0"
	if c.OtherCoverageCode != "" {
		n, err := strconv.Atoi(c.OtherCoverageCode)
		if !domain.IsDigits(c.OtherCoverageCode, 1, 2) || err != nil || otherCoverageCodes[strconv.Itoa(n)] == "" {
			bad(ncpdp.RejectMIOtherCoverageCode)
		} else {
			p.occ = strconv.Itoa(n)
		}
	}
}

// otherCoverage is part of the submission step: the other coverage code
// against the plan's place in coordination of benefits. A PRIMARY plan
// knows of no other payer: a claim that says another payer was billed
// first (2, 3, 4, 8) rejects 13. A SECONDARY plan pays after another
// payer: a claim that shows none (0, 1) rejects 41; one billed after the
// other payer needs the other payer's amounts, which this service does not
// read yet (full coordination of benefits is to come), and rejects 6G;
// one the other payer did not cover (3) is paid as the plan would pay it.
func (a *adjudication) otherCoverage() {
	c, cob := a.claim, a.path.settings.COB
	what := "other coverage code " + c.occ + " (" + otherCoverageCodes[c.occ] + ")"
	switch {
	case cob != config.COBSecondary && c.occ != "0" && c.occ != "1":
		a.resp.reject(ncpdp.RejectMIOtherCoverageCode)
		a.trace("", "reject %s: %s, but the plan is primary and knows no other payer", ncpdp.RejectMIOtherCoverageCode, what)
	case cob == config.COBSecondary && (c.occ == "0" || c.occ == "1"):
		a.resp.reject(ncpdp.RejectSubmitBillToOtherProcessorOrPrimaryPayer)
		a.trace("", "reject %s: %s, but another payer is primary for the plan", ncpdp.RejectSubmitBillToOtherProcessorOrPrimaryPayer, what)
	case cob == config.COBSecondary && c.occ != "3":
		a.resp.reject(ncpdp.RejectCOBOtherPaymentsSegmentRequiredForAdjudication)
		a.trace("", "reject %s: %s: paying after the primary payer needs its amounts, which are not read yet", ncpdp.RejectCOBOtherPaymentsSegmentRequiredForAdjudication, what)
	case cob == config.COBSecondary:
		a.trace("", "%s: the primary payer did not cover the claim; the plan pays it", what)
	}
}

// prescription is the step after the product: the prescription as
// written against the drug's DEA schedule and the plan's expiry settings.
// Each check runs when the claim sends what it reads.
//
//   - Expiry: a fill more than the plan's expiry days after the date
//     written rejects M4 (days by schedule: rx_expiry_days and its
//     controlled and schedule II variants).
//   - Refills: refills authorized above the law's limit for the drug's
//     schedule (none for C-II, five for C-III to C-V) reject 8Q; a fill
//     number above the refills authorized, or any refill of a C-II,
//     rejects 7W.
//   - Quantity: a C-II claim without quantity prescribed rejects 647. The
//     quantity prescribed is that of one fill; the prescription allows it
//     once and once per refill authorized (the fill number stands for the
//     refills when they are not sent). The quantity dispensed on all paid
//     fills of the prescription (same pharmacy and Rx number, since the
//     date written or a year back), this one included, above that rejects
//     649 for a C-II and 9G otherwise.
func (a *adjudication) prescription(ctx context.Context) error {
	c, set := a.claim, &a.path.settings
	sched := a.drug.DEASchedule
	if !c.written.IsZero() {
		days, what := *set.RxExpiryDays, "not controlled"
		switch sched {
		case "2":
			days, what = *set.RxExpiryDaysScheduleII, "C-II"
		case "3", "4", "5":
			days, what = *set.RxExpiryDaysControlled, "C-"+romanSchedule(sched)
		}
		if days > 0 && c.dos.After(c.written.AddDays(days)) {
			a.resp.reject(ncpdp.RejectPrescriptionServiceReferenceNumberTimeLimitExceeded)
			a.trace("", "reject %s: written %s, so its last fill date was %s (%d days, %s)", ncpdp.RejectPrescriptionServiceReferenceNumberTimeLimitExceeded,
				c.written, c.written.AddDays(days), days, what)
		}
	}
	limit := -1 // refills the law allows; -1: no limit
	switch sched {
	case "2":
		limit = 0
	case "3", "4", "5":
		limit = maxRefillsControlled
	}
	switch {
	case limit >= 0 && c.refills > limit:
		a.resp.reject(ncpdp.RejectExcessiveRefillsAuthorized)
		a.trace("", "reject %s: %d refills authorized; a C-%s prescription allows %d", ncpdp.RejectExcessiveRefillsAuthorized, c.refills, romanSchedule(sched), limit)
	case c.refills >= 0 && c.FillNumber > c.refills:
		a.resp.reject(ncpdp.RejectRefillsExceedAllowableRefills)
		a.trace("", "reject %s: fill %d, but %d refills authorized", ncpdp.RejectRefillsExceedAllowableRefills, c.FillNumber, c.refills)
	case limit == 0 && c.FillNumber > 0:
		a.resp.reject(ncpdp.RejectRefillsExceedAllowableRefills)
		a.trace("", "reject %s: fill %d of a C-II prescription, which allows no refill", ncpdp.RejectRefillsExceedAllowableRefills, c.FillNumber)
	}
	if a.resp.Status != "" {
		return nil
	}
	if c.qtyPrescribed.IsZero() {
		if sched == "2" {
			a.resp.reject(ncpdp.RejectQuantityPrescribedRequiredForCIIPrescription)
			a.trace("", "reject %s: a C-II claim must send the quantity prescribed", ncpdp.RejectQuantityPrescribedRequiredForCIIPrescription)
		}
		return nil
	}
	return a.quantityPrescribed(ctx)
}

// quantityPrescribed checks the quantity dispensed on all fills of the
// prescription against what it allows (see prescription).
func (a *adjudication) quantityPrescribed(ctx context.Context) error {
	c := a.claim
	fills := max(c.refills, c.FillNumber)
	allowed := c.qtyPrescribed.Mul(decimal.NewFromInt(int64(fills + 1)))
	from := c.written
	if from.IsZero() {
		from = c.dos.AddDays(-365)
	}
	hist, err := a.store.History(ctx, c.CardholderID, c.personCode, from, c.dos)
	if err != nil {
		return fmt.Errorf("claim history: %w", err)
	}
	total, n := c.qty, 0
	for _, h := range hist {
		if h.PharmacyNPI == c.PharmacyNPI && h.RxNumber == c.rx && (a.original == nil || h.ClaimID != a.original.ID) {
			total = total.Add(h.Quantity)
			n++
		}
	}
	if !total.GreaterThan(allowed) {
		a.trace("", "quantity %s on %d earlier fill(s) and this one, of %s allowed (%s prescribed, %d refill(s))",
			total, n, allowed, c.qtyPrescribed, fills)
		return nil
	}
	code := ncpdp.RejectQuantityDispensedExceedsMaximumAllowed
	if a.drug.DEASchedule == "2" {
		code = ncpdp.RejectCumulativeQuantityForThisCIIRxNumberExceedsQuantityPrescribed
	}
	a.resp.reject(code)
	a.trace("", "reject %s: quantity %s on %d earlier fill(s) and this one exceeds the %s allowed (%s prescribed, %d refill(s))",
		code, total, n, allowed, c.qtyPrescribed, fills)
	return nil
}

// romanSchedule names a DEA schedule as it is written (C-II to C-V).
func romanSchedule(s string) string {
	return map[string]string{"2": "II", "3": "III", "4": "IV", "5": "V"}[s]
}

// prescriber is the step after the product when the plan's
// prescriber_validation is ON: the prescriber [411-DB] must be on the
// prescriber file (56), covered by the plan (71) and active on the date of
// service (42); for a drug with a DEA schedule the prescriber needs a DEA
// registration on file (44), active on the date of service (43), that
// allows the drug's schedule (46).
func (a *adjudication) prescriber(context.Context) error {
	if a.path.settings.PrescriberValidation != config.On {
		return nil
	}
	c, r := a.claim, a.resp
	p := a.snap.prescribers[c.PrescriberNPI]
	sched := a.drug.DEASchedule
	switch {
	case p == nil:
		r.reject(ncpdp.RejectNonMatchedPrescriberID)
		a.trace("", "reject %s: prescriber %s is not on the prescriber file", ncpdp.RejectNonMatchedPrescriberID, c.PrescriberNPI)
	case p.Excluded:
		r.reject(ncpdp.RejectPrescriberIDIsNotCovered)
		a.trace("", "reject %s: prescriber %s is excluded by the plan", ncpdp.RejectPrescriberIDIsNotCovered, p.NPI)
	case !p.Range.Contains(c.dos):
		r.reject(ncpdp.RejectPlansPrescriberDatabaseIndicatesPrescriberIDIsInactiveExpired)
		a.trace("", "reject %s: prescriber %s is active %s to %s, not on %s", ncpdp.RejectPlansPrescriberDatabaseIndicatesPrescriberIDIsInactiveExpired,
			p.NPI, p.From, openEnd(p.To), c.dos)
	case sched == "":
		a.trace("", "prescriber %s active on file", p.NPI)
	case p.DEA == "":
		r.reject(ncpdp.RejectPlansPrescriberDatabaseIndicatesDEAToPrescriberIDNotFound)
		a.trace("", "reject %s: a C-%s drug, and prescriber %s has no DEA registration on file", ncpdp.RejectPlansPrescriberDatabaseIndicatesDEAToPrescriberIDNotFound,
			romanSchedule(sched), p.NPI)
	case !p.DEAExpires.IsZero() && c.dos.After(p.DEAExpires):
		r.reject(ncpdp.RejectPlanDBIndicatesTheAssocDEAToSubmittedPrescriberIDIsInactive)
		a.trace("", "reject %s: prescriber %s's DEA registration expired %s", ncpdp.RejectPlanDBIndicatesTheAssocDEAToSubmittedPrescriberIDIsInactive, p.NPI, p.DEAExpires)
	case !slices.Contains(p.DEASchedules, sched):
		r.reject(ncpdp.RejectAssocDEAToSubmittedPrescriberIDDoesntAllowDrugDEASchedule)
		a.trace("", "reject %s: a C-%s drug, and prescriber %s's DEA registration allows schedules %v", ncpdp.RejectAssocDEAToSubmittedPrescriberIDDoesntAllowDrugDEASchedule,
			romanSchedule(sched), p.NPI, p.DEASchedules)
	default:
		a.trace("", "prescriber %s active on file; DEA registration allows C-%s", p.NPI, romanSchedule(sched))
	}
	return nil
}
