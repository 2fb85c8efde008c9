package adjudicator

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// covers reports whether the fill's days supply still runs on day.
func (h *HistoryEntry) covers(day domain.Date) bool {
	return !day.Before(h.DateOfService) && day.Before(h.DateOfService.AddDays(max(h.DaysSupply, 1)))
}

// lookback is how many days of history the claim's edits read: a fill's
// days supply (at most maxDaysSupply) for refill too soon and DUR, the
// step-therapy lookback, the benefit-maximum window.
func (a *adjudication) lookback() int {
	days := 0
	for _, k := range []edits.Kind{edits.KindRefillTooSoon, edits.KindDrugInteraction, edits.KindTherapeuticDuplicate} {
		if a.sel.Winner(k) != nil {
			days = maxDaysSupply
		}
	}
	if w := a.sel.Winner(edits.KindStepTherapy); w != nil {
		days = max(days, w.StepTherapy.LookbackDays)
	}
	for _, k := range maxKinds {
		if w := a.sel.Winner(k); w != nil {
			switch w.BenefitMax.Period {
			case edits.CalendarMonth:
				days = max(days, 31)
			case edits.RollingDays:
				days = max(days, w.BenefitMax.Days)
			case edits.Lifetime:
				days = lifetimeDays
			}
		}
	}
	return days
}

// selectEdits finds the edits that apply to the claim and traces each one
// evaluated.
func (a *adjudication) selectEdits(context.Context) error {
	c, m := a.claim, a.member
	gender := m.Gender
	if gender == "" {
		gender = c.PatientGender
	}
	a.facts = edits.Facts{DateOfService: c.dos, NDC: a.drug.NDC, Class: a.drug.TherapeuticClass,
		BrandClass: a.drug.brandClass, Segment: a.segment, Age: ageOn(m.DateOfBirth, c.dos), Gender: gender}
	a.sel.Quiet = a.untraced // then Evaluated stays empty
	a.snap.edits.Select(a.path.levels[:], &a.facts, &a.sel)
	for _, ev := range a.sel.Evaluated {
		a.traceTyped(ev.Edit.Ref(), "%s %s", argText(string(ev.Edit.Kind)), argText(ev.Outcome))
	}
	return nil
}

// stepName is how the trace names the step an edit kind decides:
// "deductible", "refill too soon", "dur drug interaction".
func stepName(k edits.Kind) string {
	if i := edits.KindIndex(k); i >= 0 {
		return kindStepNames[i]
	}
	return kindStepName(k)
}

// kindStepNames is stepName of each kind, by edits.KindIndex: made once, not
// on every decision a claim traces.
var kindStepNames = func() (names [edits.NumKinds]string) {
	for i, k := range edits.Kinds() {
		names[i] = kindStepName(k)
	}
	return names
}()

func kindStepName(k edits.Kind) string {
	return strings.ToLower(strings.ReplaceAll(string(k), "_", " "))
}

// ageOn returns the age in whole years on day of someone born on dob.
func ageOn(dob, day domain.Date) int {
	b, d := dob.Time(), day.Time()
	age := d.Year() - b.Year()
	if d.Month() < b.Month() || d.Month() == b.Month() && d.Day() < b.Day() {
		age--
	}
	return age
}

// decide records what an applied edit decided and, when it rejects, the code.
func (a *adjudication) decide(w *edits.Compiled, reject ncpdp.RejectCode, format string, args ...any) {
	if reject != "" {
		a.resp.reject(reject)
	}
	if !a.untraced {
		a.resp.trace(stepName(w.Kind), w.Ref(), reject, format, args...)
	}
}

// decideTyped is decide with typed arguments (argText, argCents), which
// are not boxed.
func (a *adjudication) decideTyped(w *edits.Compiled, reject ncpdp.RejectCode, format string, args ...TraceArg) {
	if reject != "" {
		a.resp.reject(reject)
	}
	if !a.untraced {
		a.resp.traceTyped(stepName(w.Kind), w.Ref(), reject, format, args)
	}
}

// limitations is step 6: age, gender, quantity, days supply and
// refills. Every one that applies is tested, so a claim gets all its codes.
// A quantity or days supply exception on file overrides its edit.
func (a *adjudication) limitations(ctx context.Context) error {
	c, f := a.claim, &a.facts
	if w := a.sel.Winner(edits.KindAge); w != nil {
		switch l := w.Age; {
		case l.Min > 0 && f.Age < l.Min:
			a.decide(w, ncpdp.RejectProductServiceNotCoveredForPatientAge, "age %d is below %d", f.Age, l.Min)
		case l.Max > 0 && f.Age > l.Max:
			a.decide(w, ncpdp.RejectPatientAgeExceedsMaximumAge, "age %d is above %d", f.Age, l.Max)
		default:
			a.decide(w, "", "age %d allowed", f.Age)
		}
	}
	if w := a.sel.Winner(edits.KindGender); w != nil {
		if slices.Contains(w.Gender.Allowed, f.Gender) {
			a.decide(w, "", "gender %s allowed", f.Gender)
		} else {
			a.decide(w, ncpdp.RejectProductServiceNotCoveredForPatientGender, "gender %q is not covered for the product", f.Gender)
		}
	}
	var err error
	if w := a.sel.Winner(edits.KindQuantity); w != nil {
		q := w.Quantity
		perDay := c.qty.Div(decimal.NewFromInt(int64(max(c.DaysSupply, 1))))
		switch {
		case q.MaxQuantity.IsPositive() && c.qty.GreaterThan(q.MaxQuantity):
			err = a.unlessPriorAuth(ctx, w, domain.PAQuantity, ncpdp.RejectQuantityDispensedExceedsMaximumAllowed, "quantity %s exceeds %s", c.qty, q.MaxQuantity)
		case q.MaxPerDay.IsPositive() && perDay.GreaterThan(q.MaxPerDay):
			err = a.unlessPriorAuth(ctx, w, domain.PAQuantity, ncpdp.RejectPlanLimitationsExceeded, "quantity %s over %d days exceeds %s a day", c.qty, c.DaysSupply, q.MaxPerDay)
		default:
			a.decide(w, "", "quantity %s within limits", c.qty)
		}
	}
	if err != nil {
		return err
	}
	if w := a.sel.Winner(edits.KindDaysSupply); w != nil {
		d := w.DaysSupply
		code := ncpdp.RejectDaysSupplyExceedsPlanLimitation
		if len(w.Criteria.Drugs) > 0 {
			code = ncpdp.RejectDaysSupplyLimitationForProductService
		}
		switch {
		case c.DaysSupply < d.Min:
			err = a.unlessPriorAuth(ctx, w, domain.PADaysSupply, ncpdp.RejectDaysSupplyIsLessThanPlanMinimum, "days supply %d is below the minimum %d", c.DaysSupply, d.Min)
		case d.Max > 0 && c.DaysSupply > d.Max:
			err = a.unlessPriorAuth(ctx, w, domain.PADaysSupply, code, "days supply %d is above the maximum %d", c.DaysSupply, d.Max)
		default:
			a.decide(w, "", "days supply %d allowed", c.DaysSupply)
		}
	}
	if w := a.sel.Winner(edits.KindRefills); w != nil {
		if c.FillNumber > w.Refills.MaxRefills {
			a.decide(w, ncpdp.RejectRefillsAreNotCovered, "fill %d exceeds %d refills", c.FillNumber, w.Refills.MaxRefills)
		} else {
			a.decide(w, "", "fill %d allowed", c.FillNumber)
		}
	}
	return err
}

// claimCost is the claim min/max cost limitation, tested once the claim is priced.
func (a *adjudication) claimCost(context.Context) error {
	w := a.sel.Winner(edits.KindClaimCost)
	if w == nil {
		return nil
	}
	// The reject table has no code for a cost below a minimum: 78 answers
	// both, and the trace says which bound the claim crossed.
	total, l := a.resp.TotalAllowed, w.ClaimCost
	switch {
	case total.LessThan(l.Min):
		a.decideTyped(w, ncpdp.RejectCostExceedsMaximum, "allowed %s is below the minimum %s", argCents(total), argCents(l.Min))
	case l.Max.IsPositive() && total.GreaterThan(l.Max):
		a.decideTyped(w, ncpdp.RejectCostExceedsMaximum, "allowed %s is above the maximum %s", argCents(total), argCents(l.Max))
	default:
		a.decideTyped(w, "", "allowed %s within limits", argCents(total))
	}
	return nil
}

// history returns the member's paid claims over the lookback, oldest first,
// without the claim a rebill replaces; it reads the store once per claim,
// only as far back as the claim's edits need.
func (a *adjudication) history(ctx context.Context) ([]HistoryEntry, error) {
	if a.hist != nil {
		return a.hist, nil
	}
	c := a.claim
	h, err := a.store.History(ctx, c.CardholderID, c.personCode, c.dos.AddDays(-a.lookback()), c.dos)
	if err != nil {
		return nil, fmt.Errorf("claim history: %w", err)
	}
	// The store's slice may be shared (replayStore): the original's entry
	// is left out of a copy.
	if replaced := func(e HistoryEntry) bool { return a.original != nil && e.ClaimID == a.original.ID }; slices.ContainsFunc(h, replaced) {
		h = slices.DeleteFunc(slices.Clone(h), replaced)
	}
	a.hist = h
	if a.hist == nil {
		a.hist = []HistoryEntry{}
	}
	return a.hist, nil
}

// clinical is step 7: refill too soon, step therapy, DUR
// against the member's history, then prior authorization.
func (a *adjudication) clinical(ctx context.Context) error {
	for _, k := range []edits.Kind{edits.KindRefillTooSoon, edits.KindStepTherapy, edits.KindDrugInteraction, edits.KindTherapeuticDuplicate} {
		w := a.sel.Winner(k)
		if w == nil {
			continue
		}
		hist, err := a.history(ctx)
		if err != nil {
			return err
		}
		switch k {
		case edits.KindRefillTooSoon:
			err = a.refillTooSoon(ctx, w, hist)
		case edits.KindStepTherapy:
			a.stepTherapy(w, hist)
		default:
			a.dur(w, hist)
		}
		if err != nil {
			return err
		}
	}
	if w := a.sel.Winner(edits.KindPriorAuthorization); w != nil {
		return a.priorAuth(ctx, w)
	}
	return nil
}

// supply is the member's supply of a therapeutic class on hand: the fills
// of the class lined up, each starting when the supply before it runs out,
// or on its own date of service when that is later.
type supply struct {
	last   *HistoryEntry // the latest fill
	first  domain.Date   // the date of service of the chain's first fill
	fills  int           // the fills of the chain: those whose supply runs on without a gap
	runOut domain.Date   // the day after the chain's last day of supply
}

// supplyOf lines up the fills of class in hist (oldest first) dated on or
// before dos.
func supplyOf(hist []HistoryEntry, class string, dos domain.Date) supply {
	var s supply
	for i := range hist {
		h := &hist[i]
		if h.Class != class || h.DateOfService.After(dos) {
			continue
		}
		start := h.DateOfService
		if s.last == nil || !s.runOut.After(start) {
			s.first, s.fills = start, 0 // the supply before it ran out: a new chain
		} else {
			start = s.runOut
		}
		s.runOut, s.last = start.AddDays(h.DaysSupply), h
		s.fills++
	}
	return s
}

// refillTooSoon is cumulative over the member's fills of the therapeutic
// class in the lookback (DOMAIN.md section 6.7): the claim may be filled
// once no more than (100 - percent) % of the last fill's days supply is
// still on hand, counting every earlier fill, overridden ones too. With one
// fill on hand this is the plain rule: percent of its days supply must have
// passed.
func (a *adjudication) refillTooSoon(ctx context.Context, w *edits.Compiled, hist []HistoryEntry) error {
	c, class := a.claim, a.drug.TherapeuticClass
	s := supplyOf(hist, class, c.dos)
	if s.last == nil {
		a.decide(w, "", "no earlier fill in class %s", class)
		return nil
	}
	// What may remain of the last fill: its days supply less Percent of it,
	// rounded up to a whole day.
	slack := s.last.DaysSupply - (s.last.DaysSupply*w.RefillTooSoon.Percent+99)/100
	earliest := s.runOut.AddDays(-slack)
	what := fmt.Sprintf("previous fill %s for %d days", s.last.DateOfService, s.last.DaysSupply)
	if s.fills > 1 {
		what = fmt.Sprintf("%d fills since %s run out %s (%d days on hand), the last %s for %d days",
			s.fills, s.first, s.runOut, max(0, s.runOut.Days()-c.dos.Days()), s.last.DateOfService, s.last.DaysSupply)
	}
	if !c.dos.Before(earliest) {
		a.decide(w, "", "%s; earliest %s", what, earliest)
		return nil
	}
	if code, ok := firstIn(c.SubmissionClarificationCodes, w.RefillTooSoon.OverrideCodes); ok {
		a.decide(w, "", "too soon (earliest %s) but overridden by clarification code %s", earliest, code)
		return nil
	}
	if pa, used, _, err := a.findPriorAuth(ctx, domain.PARefillTooSoon, "", nil); err != nil || pa != nil {
		if pa != nil {
			a.usePriorAuth(pa)
			a.decide(w, "", "too soon (earliest %s) but overridden by %s", earliest, paText(pa, used))
		}
		return err
	}
	a.resp.Notes = append(a.resp.Notes, "NEXT FILL ON OR AFTER "+earliest.String())
	a.decide(w, ncpdp.RejectRefillTooSoon, "%s at %d%%; earliest fill date %s", what, w.RefillTooSoon.Percent, earliest)
	return nil
}

func firstIn(submitted, accepted []string) (string, bool) {
	for _, s := range submitted {
		if slices.Contains(accepted, s) {
			return s, true
		}
	}
	return "", false
}

func (a *adjudication) stepTherapy(w *edits.Compiled, hist []HistoryEntry) {
	st, dos := w.StepTherapy, a.claim.dos
	from := dos.AddDays(-st.LookbackDays)
	for _, h := range hist {
		if h.DateOfService.Before(from) || h.DateOfService.After(dos) {
			continue
		}
		for _, req := range st.Required {
			if req.Matches(h.NDC, h.Class) {
				a.decide(w, "", "prerequisite %s filled %s, within %d days", req, h.DateOfService, st.LookbackDays)
				return
			}
		}
	}
	a.decide(w, ncpdp.RejectStepTherapyAltDrugTherapyReqdPriorToSubmittedProdServID,
		"no fill of a prerequisite drug in the %d days before %s", st.LookbackDays, dos)
}

// priorAuth is the PRIOR_AUTHORIZATION edit: a DRUG prior authorization on
// file for the drug on the date of service (with the submitted number,
// when the edit requires it) and with fills left lets the claim through;
// otherwise it rejects 75.
func (a *adjudication) priorAuth(ctx context.Context, w *edits.Compiled) error {
	number := ""
	if w.PriorAuth.RequireNumber {
		if number = a.claim.PriorAuthorizationNumber; number == "" {
			a.decide(w, ncpdp.RejectPriorAuthorizationRequired, "no prior authorization number submitted")
			return nil
		}
	}
	pa, used, why, err := a.findPriorAuth(ctx, domain.PADrug, number, nil)
	switch {
	case err != nil:
		return err
	case pa != nil:
		a.usePriorAuth(pa)
		text := fmt.Sprintf("prior authorization %s on file, %s to %s", pa.Number, pa.From, openEnd(pa.To))
		if used != "" {
			text += "; " + used
		}
		a.decide(w, "", "%s", text)
	case why != "":
		a.decide(w, ncpdp.RejectPriorAuthorizationRequired, "%s", why)
	default:
		a.decide(w, ncpdp.RejectPriorAuthorizationRequired, "no prior authorization on file for the drug")
	}
	return nil
}

// dur checks the claim against the member's active therapy.
func (a *adjudication) dur(w *edits.Compiled, hist []HistoryEntry) {
	c, d := a.claim, w.DUR
	reason := "DD"
	if w.Kind == edits.KindTherapeuticDuplicate {
		reason = "TD"
	}
	var conflict *HistoryEntry
	for i := range hist {
		h := &hist[i]
		if !h.covers(c.dos) {
			continue
		}
		if reason == "DD" && slices.ContainsFunc(d.Interacts, func(r domain.DrugRef) bool { return r.Matches(h.NDC, h.Class) }) ||
			reason == "TD" && h.NDC != a.drug.NDC && sameClass(h.Class, a.drug.TherapeuticClass, d.ClassDigits) {
			conflict = h
			break
		}
	}
	if conflict == nil {
		a.decide(w, "", "no %s conflict with active therapy", reason)
		return
	}
	what := fmt.Sprintf("%s with NDC %s filled %s for %d days", ncpdpDURText(reason), conflict.NDC, conflict.DateOfService, conflict.DaysSupply)
	for _, s := range c.DUR {
		if s.Reason == reason && slices.Contains(d.OverrideResults, s.Result) {
			a.resp.DURAlerts = append(a.resp.DURAlerts, DURAlert{Reason: reason, Message: what + "; overridden (" + s.Result + ")"})
			a.decide(w, "", "%s; overridden by DUR/PPS %s/%s/%s", what, s.Reason, s.Professional, s.Result)
			return
		}
	}
	a.resp.DURAlerts = append(a.resp.DURAlerts, DURAlert{Reason: reason, Message: what})
	a.decide(w, ncpdp.RejectDURRejectError, "%s", what)
}

func ncpdpDURText(reason string) string { return ncpdp.DURReason.Text(reason) }

func sameClass(a, b string, digits int) bool {
	return len(a) >= digits && len(b) >= digits && a[:digits] == b[:digits]
}

// accumulatorKind is the bucket kind a benefit maximum counts.
func accumulatorKind(k edits.Kind) accumulators.Kind {
	switch k {
	case edits.KindMaxRxCount:
		return accumulators.RxCount
	case edits.KindMaxDollars:
		return accumulators.PlanPaid
	case edits.KindMaxUnits:
		return accumulators.Units
	case edits.KindDeductible:
		return accumulators.Deductible
	}
	return accumulators.OutOfPocket
}

// planLevel is the levels of a plan-wide edit's contributions, shared:
// read only.
var planLevel = []string{""}

// levels returns the bucket levels an accumulating edit's contributions go
// to: the plan default (""), or an exception's own level, plus the plan
// default when it is included in the plan.
func levels(w *edits.Compiled) []string {
	if w == nil || !w.Criteria.Exception() {
		return planLevel
	}
	if w.IncludeInPlan {
		return []string{w.ID, ""}
	}
	return []string{w.ID}
}

// readLevel is the bucket level an accumulating edit tests.
func readLevel(w *edits.Compiled) string {
	if w == nil || !w.Criteria.Exception() {
		return ""
	}
	return w.ID
}

var maxKinds = []edits.Kind{edits.KindMaxRxCount, edits.KindMaxUnits, edits.KindMaxDollars}

// maxPlanBuckets are the history buckets of maxKinds at the plan's level
// ("<edit kind>/"), in maxKinds' order.
var maxPlanBuckets = func() []string {
	out := make([]string, len(maxKinds))
	for i, k := range maxKinds {
		out[i] = string(k) + "/"
	}
	return out
}()
