package adjudicator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// Benefit maximums (step 9): a maximum Rx count, units or plan-paid dollars
// per period, for the member, the family or both. A plan-year maximum reads
// the period's accumulator documents; a calendar-month, rolling or lifetime
// one reads claim history, the family's only when it has a family amount.

// lifetimeDays is how far back a LIFETIME maximum reads: every claim on file.
const lifetimeDays = 200 * 366

// maxUse is what a benefit maximum has counted so far in its window.
type maxUse struct{ member, family decimal.Decimal }

// maxLeft is what a benefit maximum leaves for the claim: the lesser of the
// member's and the family's remainders, with the scope and amount it comes from.
type maxLeft struct {
	rem, used, of decimal.Decimal
	family        bool
}

// left applies a maximum's amounts to what it has counted.
func left(b *edits.BenefitMax, u maxUse) maxLeft {
	var l maxLeft
	if b.Amount.IsPositive() {
		l = maxLeft{rem: decimal.Max(decimal.Zero, b.Amount.Sub(u.member)), used: u.member, of: b.Amount}
	}
	if b.FamilyAmount.IsPositive() {
		f := decimal.Max(decimal.Zero, b.FamilyAmount.Sub(u.family))
		if !b.Amount.IsPositive() || f.LessThan(l.rem) {
			l = maxLeft{rem: f, used: u.family, of: b.FamilyAmount, family: true}
		}
	}
	return l
}

// describe names the maximum that applies: "the PLAN_YEAR maximum of 3" or
// "the family LIFETIME maximum of 1000.00".
func (l maxLeft) describe(k edits.Kind, p edits.PeriodKind) string {
	of := l.of.String()
	if k == edits.KindMaxDollars {
		of = domain.FormatCents(l.of)
	}
	if l.family {
		return fmt.Sprintf("the family %s maximum of %s", p, of)
	}
	return fmt.Sprintf("the %s maximum of %s", p, of)
}

// used returns what a benefit maximum has counted so far in its period: the
// member's, and the family's when it has a family amount.
func (a *adjudication) used(ctx context.Context, w *edits.Compiled) (maxUse, error) {
	b := w.BenefitMax
	if b.Period == edits.PlanYear {
		k, lv := accumulatorKind(w.Kind), readLevel(w)
		return maxUse{a.acc.Member.Total(k, lv, b.Accumulation, a.segment), a.acc.Family.Total(k, lv, b.Accumulation, a.segment)}, nil
	}
	hist, err := a.history(ctx)
	if err != nil {
		return maxUse{}, err
	}
	u := maxUse{member: a.counted(w, hist)}
	if b.FamilyAmount.IsPositive() {
		others, err := a.familyHistory(ctx)
		if err != nil {
			return maxUse{}, err
		}
		u.family = u.member.Add(a.counted(w, others))
	}
	return u, nil
}

// counted sums what the paid claims of hist count toward a maximum read
// from claim history: those in its window, tagged with its bucket, in the
// network segments it reads.
func (a *adjudication) counted(w *edits.Compiled, hist []HistoryEntry) decimal.Decimal {
	b, dos := w.BenefitMax, a.claim.dos
	var from domain.Date
	switch b.Period {
	case edits.CalendarMonth:
		t := dos.Time()
		from = domain.DateOf(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC))
	case edits.RollingDays:
		from = dos.AddDays(1 - b.Days)
	default:
		from = dos.AddDays(-lifetimeDays)
	}
	tag := string(w.Kind) + "/" + readLevel(w)
	sum := decimal.Zero
	for _, h := range hist {
		if h.DateOfService.Before(from) || h.DateOfService.After(dos) || !slices.Contains(h.Buckets, tag) || !b.Accumulation.Reads(h.Segment, a.segment) {
			continue
		}
		switch w.Kind {
		case edits.KindMaxRxCount:
			sum = sum.Add(decimal.NewFromInt(1))
		case edits.KindMaxUnits:
			sum = sum.Add(h.Quantity)
		default:
			sum = sum.Add(h.PlanPaid)
		}
	}
	return sum
}

// familyHistory returns the paid claims of the family's other members over
// the claim's lookback, without the claim a rebill replaces; read once.
func (a *adjudication) familyHistory(ctx context.Context) ([]HistoryEntry, error) {
	if a.famHist != nil {
		return a.famHist, nil
	}
	c := a.claim
	a.famHist = []HistoryEntry{}
	for _, m := range a.family.Members {
		if m.PersonCode == c.personCode {
			continue
		}
		h, err := a.store.History(ctx, c.CardholderID, m.PersonCode, c.dos.AddDays(-a.lookback()), c.dos)
		if err != nil {
			return nil, fmt.Errorf("family claim history: %w", err)
		}
		for _, e := range h {
			if a.original == nil || e.ClaimID != a.original.ID {
				a.famHist = append(a.famHist, e)
			}
		}
	}
	return a.famHist, nil
}

// countMaximums is step 9 for Rx count and unit maximums, which reject 76
// when this claim would exceed them.
func (a *adjudication) countMaximums(ctx context.Context) error {
	for _, k := range maxKinds[:2] {
		w := a.sel.Winner(k)
		if w == nil {
			continue
		}
		u, err := a.used(ctx, w)
		if err != nil {
			return err
		}
		this := decimal.NewFromInt(1)
		if k == edits.KindMaxUnits {
			this = a.claim.qty
		}
		l := left(w.BenefitMax, u)
		if this.GreaterThan(l.rem) {
			a.decide(w, ncpdp.RejectPlanLimitationsExceeded, "%s used + %s exceeds %s", l.used, this, l.describe(k, w.BenefitMax.Period))
		} else {
			a.decide(w, "", "%s used + %s within %s", l.used, this, l.describe(k, w.BenefitMax.Period))
		}
	}
	return nil
}

// dollarMaximum is step 9 for a plan-paid dollar maximum, tested once the
// cost share is known: the plan pays up to what remains; the excess is
// rejected 76 or paid by the member (520-FK), as the edit says. The
// remaining benefit (514-FE) is what the maximum leaves this member after
// the claim: the claim's plan paid comes off it only when the claim's
// network segment counts toward the maximum.
func (a *adjudication) dollarMaximum(ctx context.Context, planPaid decimal.Decimal) (excess decimal.Decimal, err error) {
	w := a.sel.Winner(edits.KindMaxDollars)
	if w == nil {
		return decimal.Zero, nil
	}
	u, err := a.used(ctx, w)
	if err != nil {
		return decimal.Zero, err
	}
	l := left(w.BenefitMax, u)
	what := l.describe(w.Kind, w.BenefitMax.Period)
	switch {
	case !planPaid.GreaterThan(l.rem):
		a.decideTyped(w, "", "%s remaining of %s; plan pays %s", argCents(l.rem), argText(what), argCents(planPaid))
	case w.BenefitMax.OnExceed == edits.MemberPays:
		excess = planPaid.Sub(l.rem)
		a.decideTyped(w, "", "%s remaining of %s; member pays the excess %s", argCents(l.rem), argText(what), argCents(excess))
	default:
		a.decideTyped(w, ncpdp.RejectPlanLimitationsExceeded, "plan would pay %s but %s remains of %s", argCents(planPaid), argCents(l.rem), argText(what))
		return decimal.Zero, nil
	}
	after := l.rem
	if w.BenefitMax.Accumulation.Reads(a.segment, a.segment) {
		after = after.Sub(planPaid.Sub(excess))
	} else {
		a.decide(w, "", "a %s claim does not count toward it: %s remains", a.segment, cents(after))
	}
	a.resp.RemainingBenefit = decimal.NullDecimal{Decimal: after, Valid: true}
	return excess, nil
}
