package adjudicator

import (
	"context"
	"errors"
	"fmt"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// EligibilityQuery is an eligibility verification (E1).
type EligibilityQuery struct {
	BIN, PCN, GroupID, CardholderID, PersonCode, DateOfBirth, DateOfService string
	PharmacyNPI                                                             string // optional
}

// EligibilityResult answers an E1. Status is Accepted or Rejected.
type EligibilityResult struct {
	Status       Status
	Rejects      []ncpdp.RejectCode
	Message      string
	PlanID       string
	GroupID      string
	Coverage     domain.Range
	NetworkType  string
	NetworkClass string
}

// CheckEligibility verifies coverage on a date without adjudicating a claim.
func (e *Engine) CheckEligibility(ctx context.Context, q *EligibilityQuery) (*EligibilityResult, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: eligibility query is required", ErrInvalid)
	}
	r := &Response{}
	if !domain.IsDigits(q.BIN, 6, 6) {
		r.reject(ncpdp.RejectMIIINNumber)
	}
	if !domain.IsAlnum(q.PCN, 1, 10) {
		r.reject(ncpdp.RejectMIProcessorControlNumber)
	}
	if !domain.IsAlnum(q.CardholderID, 1, 20) {
		r.reject(ncpdp.RejectMICardholderID)
	}
	pc, ok := normalizePersonCode(q.PersonCode)
	if !ok {
		r.reject(ncpdp.RejectMIPersonCode)
	}
	dob, err := domain.ParseDate(q.DateOfBirth)
	if err != nil {
		r.reject(ncpdp.RejectMIDateOfBirth)
	}
	dos, err := domain.ParseDate(q.DateOfService)
	if err != nil {
		r.reject(ncpdp.RejectMIDateOfService15)
	}
	if q.PharmacyNPI != "" && !domain.ValidNPI(q.PharmacyNPI) {
		r.reject(ncpdp.RejectMIServiceProviderNumber)
	}
	res := &EligibilityResult{}
	if r.Status != Rejected {
		fam, err := e.store.Family(ctx, q.CardholderID)
		if err != nil {
			return nil, fmt.Errorf("family lookup: %w", err)
		}
		snap := e.snap.Load()
		if m, p, ok := eligibility(snap, r, fam, pc, dob, q.GroupID, dos); ok {
			res.PlanID, res.GroupID = p.ID, fam.GroupID
			for _, c := range m.Coverages {
				if c.Contains(dos) {
					res.Coverage = c.Range
				}
			}
			if q.PharmacyNPI != "" {
				if _, seg, ok := pharmacyNetwork(snap, r, p, q.PharmacyNPI, dos, 30, snap.pathFor(p, fam.GroupID).settings.Retail90MinDays); ok {
					res.NetworkType, res.NetworkClass = seg.Type.String(), seg.Class.String()
				}
			}
		}
	}
	if r.Status != Rejected {
		r.Status = Accepted
	}
	r.finishMessage()
	if r.Status == Accepted {
		r.Message = "ELIGIBLE"
	}
	res.Status, res.Rejects, res.Message = r.Status, r.Rejects, r.Message
	return res, nil
}

// ErrNotFound means no member matches a benefit inquiry.
var ErrNotFound = errors.New("not found")

// BenefitsQuery asks for a member's accumulators.
type BenefitsQuery struct {
	CardholderID, PersonCode, DateOfBirth string
	AsOf                                  string // YYYY-MM-DD; today when empty
}

// Amounts is a limit, what has accumulated against it and what remains.
type Amounts struct {
	Limit       decimal.NullDecimal
	Accumulated decimal.Decimal
	Remaining   decimal.NullDecimal
}

// Benefits summarises a member's benefit period.
type Benefits struct {
	PlanID                 string
	PeriodStart, PeriodEnd domain.Date
	IndividualDeductible   Amounts
	FamilyDeductible       Amounts
	IndividualOutOfPocket  Amounts
	FamilyOutOfPocket      Amounts
	PlanPaid               decimal.Decimal
	RxCount                int64
	Member, Family         *accumulators.Doc
}

// Benefits returns the accumulators of the member's plan and period on q.AsOf.
// Limits are read with plan accumulation (all network segments).
func (e *Engine) Benefits(ctx context.Context, q *BenefitsQuery) (*Benefits, error) {
	if q == nil {
		return nil, fmt.Errorf("%w: benefits query is required", ErrInvalid)
	}
	pc, ok := normalizePersonCode(q.PersonCode)
	if !ok || !domain.IsAlnum(q.CardholderID, 1, 20) {
		return nil, fmt.Errorf("%w: cardholder_id and person_code are required", ErrInvalid)
	}
	dob, err := domain.ParseDate(q.DateOfBirth)
	if err != nil {
		return nil, fmt.Errorf("%w: date_of_birth: %v", ErrInvalid, err)
	}
	asOf := e.today()
	if q.AsOf != "" {
		if asOf, err = domain.ParseDate(q.AsOf); err != nil {
			return nil, fmt.Errorf("%w: as_of_date: %v", ErrInvalid, err)
		}
	}
	fam, err := e.store.Family(ctx, q.CardholderID)
	if err != nil {
		return nil, fmt.Errorf("family lookup: %w", err)
	}
	var m *domain.Member
	if fam != nil {
		m = fam.Member(pc)
	}
	if m == nil || m.DateOfBirth != dob {
		return nil, fmt.Errorf("%w: no member matches that cardholder, person code and date of birth", ErrNotFound)
	}
	snap := e.snap.Load()
	var plan *compiledPlan
	for _, c := range m.Coverages {
		if c.Contains(asOf) {
			plan = snap.plans[c.PlanID]
		}
	}
	if plan == nil {
		return nil, fmt.Errorf("%w: the member has no coverage on %s", ErrNotFound, asOf)
	}
	period := domain.PeriodStart(asOf, plan.periodStart)
	// The family lock is for consistency, not for the store: the member's
	// and family's documents are read between claims of the family, never
	// one before and the other after a commit.
	unlock, err := e.lockFamilies(ctx, q.CardholderID)
	if err != nil {
		return nil, err
	}
	docs, err := newDocSet(e.store).pair(ctx, q.CardholderID, pc, period)
	unlock()
	if err != nil {
		return nil, err
	}
	b := &Benefits{PlanID: plan.ID, PeriodStart: period, PeriodEnd: domain.PeriodEnd(period), Member: docs.Member, Family: docs.Family}
	all := edits.Accumulation{Mode: edits.PlanAccumulation}
	sum := func(d *accumulators.Doc, k accumulators.Kind) decimal.Decimal {
		return d.Total(k, "", all, domain.Segment{})
	}
	amounts := func(limit decimal.Decimal, acc decimal.Decimal) Amounts {
		a := Amounts{Accumulated: acc}
		if limit.IsPositive() {
			a.Limit = decimal.NullDecimal{Decimal: limit, Valid: true}
			a.Remaining = decimal.NullDecimal{Decimal: decimal.Max(decimal.Zero, limit.Sub(acc)), Valid: true}
		}
		return a
	}
	// The plan-default deductible and out-of-pocket edits on the date: the
	// ones a claim matching no exception would use.
	var sel edits.Selection
	snap.edits.Select(snap.pathFor(plan, fam.GroupID).levels[:], &edits.Facts{DateOfService: asOf}, &sel)
	var ded, oop edits.Limit
	if w := sel.Winner(edits.KindDeductible); w != nil && !w.Criteria.Exception() {
		ded = *w.Limit
	}
	if w := sel.Winner(edits.KindOutOfPocket); w != nil && !w.Criteria.Exception() {
		oop = *w.Limit
	}
	b.IndividualDeductible = amounts(ded.Individual, sum(docs.Member, accumulators.Deductible))
	b.FamilyDeductible = amounts(ded.Family, sum(docs.Family, accumulators.Deductible))
	b.IndividualOutOfPocket = amounts(oop.Individual, sum(docs.Member, accumulators.OutOfPocket))
	b.FamilyOutOfPocket = amounts(oop.Family, sum(docs.Family, accumulators.OutOfPocket))
	b.PlanPaid = sum(docs.Member, accumulators.PlanPaid)
	b.RxCount = sum(docs.Member, accumulators.RxCount).IntPart()
	return b, nil
}
