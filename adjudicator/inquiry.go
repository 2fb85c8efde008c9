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
		rt, routed := routeOf(snap, r, q.BIN, q.PCN)
		if m, p, ok := routedEligibility(snap, r, rt, routed, fam, pc, dob, q.GroupID, dos); ok {
			res.PlanID, res.GroupID = p.ID, fam.GroupID
			for _, c := range m.Coverages {
				if c.Contains(dos) {
					res.Coverage = c.Range
				}
			}
			if q.PharmacyNPI != "" {
				if _, seg, ok := pharmacyNetwork(snap, r, p, q.PharmacyNPI, dos, 30, snap.pathFor(p, fam.GroupID, dos).settings.Retail90MinDays, false); ok {
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

// routedEligibility is eligibility for an E1 whose BIN/PCN routed (routed).
func routedEligibility(s *snapshot, r *Response, rt *route, routed bool, fam *domain.Family, pc string, dob domain.Date, group string, dos domain.Date) (*domain.Member, *compiledPlan, bool) {
	if !routed {
		return nil, nil, false
	}
	return eligibility(s, r, rt, fam, pc, dob, group, dos, false)
}

// ErrNotFound means no member matches a benefit inquiry.
var ErrNotFound = errors.New("not found")

// BenefitsQuery asks for a member's accumulators.
type BenefitsQuery struct {
	CardholderID, PersonCode, DateOfBirth string
	AsOf                                  string // YYYY-MM-DD; today when empty
	// NetworkType and NetworkClass are the network segment a limit with
	// DEFAULT accumulation reads (a claim's own segment); RETAIL and IN
	// when empty.
	NetworkType, NetworkClass string
}

// Amounts is a limit, what has accumulated against it and what remains.
type Amounts struct {
	Limit       decimal.NullDecimal
	Accumulated decimal.Decimal
	Remaining   decimal.NullDecimal
}

// Benefits summarises a member's benefit period. Each limit's accumulated
// amount sums the segments the limit reads; the member's remaining amount
// is what is left to the member, the family's remainder included.
type Benefits struct {
	PlanID                 string
	PeriodStart, PeriodEnd domain.Date
	// Segment is the network segment read by a limit with DEFAULT
	// accumulation; zero when no limit reads by the claim's segment.
	Segment               domain.Segment
	IndividualDeductible  Amounts
	FamilyDeductible      Amounts
	IndividualOutOfPocket Amounts
	FamilyOutOfPocket     Amounts
	PlanPaid              decimal.Decimal
	RxCount               int64
	Member, Family        *accumulators.Doc
}

// Benefits returns the accumulators of the member's plan and period on q.AsOf,
// and what remains of the plan-default deductible and out-of-pocket limits.
func (e *Engine) Benefits(ctx context.Context, q *BenefitsQuery) (*Benefits, error) {
	m, fam, asOf, seg, err := e.benefitsMember(ctx, q)
	if err != nil {
		return nil, err
	}
	snap := e.snap.Load()
	var plan *compiledPlan
	for _, c := range m.Coverages {
		if c.Contains(asOf) {
			plan, _ = snap.planOn(c.PlanID, asOf)
		}
	}
	if plan == nil {
		return nil, fmt.Errorf("%w: the member has no coverage on %s", ErrNotFound, asOf)
	}
	period := domain.PeriodStart(asOf, plan.periodStart)
	// The family lock is for consistency, not for the store: the member's
	// and family's documents are read between claims of the family, never
	// one before and the other after a commit.
	unlock, err := e.lockFamilies(ctx, fam.CardholderID)
	if err != nil {
		return nil, err
	}
	docs, err := newDocSet(e.store).pair(ctx, fam.CardholderID, m.PersonCode, period)
	unlock()
	if err != nil {
		return nil, err
	}
	b := &Benefits{PlanID: plan.ID, PeriodStart: period, PeriodEnd: domain.PeriodEnd(period), Member: docs.Member, Family: docs.Family}
	all := edits.Accumulation{Mode: edits.PlanAccumulation}
	b.PlanPaid = docs.Member.Total(accumulators.PlanPaid, "", all, seg)
	b.RxCount = docs.Member.Total(accumulators.RxCount, "", all, seg).IntPart()
	// The plan-default deductible and out-of-pocket edits on the date: the
	// ones a claim matching no exception would use.
	var sel edits.Selection
	snap.edits.Select(snap.pathFor(plan, fam.GroupID, asOf).levels[:], &edits.Facts{DateOfService: asOf}, &sel)
	for _, l := range []struct {
		kind             edits.Kind
		acc              accumulators.Kind
		member, familyTo *Amounts
	}{{edits.KindDeductible, accumulators.Deductible, &b.IndividualDeductible, &b.FamilyDeductible},
		{edits.KindOutOfPocket, accumulators.OutOfPocket, &b.IndividualOutOfPocket, &b.FamilyOutOfPocket}} {
		var limit edits.Limit
		if w := sel.Winner(l.kind); w != nil && !w.Criteria.Exception() {
			limit = *w.Limit
		}
		*l.member, *l.familyTo = limitAmounts(limit, l.acc, docs, seg)
		if limit.Accumulation.Mode == edits.DefaultProcessing && (limit.Individual.IsPositive() || limit.Family.IsPositive()) {
			b.Segment = seg
		}
	}
	return b, nil
}

// benefitsMember checks a benefit inquiry and finds its member, family,
// date and the network segment it reads.
func (e *Engine) benefitsMember(ctx context.Context, q *BenefitsQuery) (*domain.Member, *domain.Family, domain.Date, domain.Segment, error) {
	var none domain.Segment
	if q == nil {
		return nil, nil, domain.Date{}, none, fmt.Errorf("%w: benefits query is required", ErrInvalid)
	}
	pc, ok := normalizePersonCode(q.PersonCode)
	if !ok || !domain.IsAlnum(q.CardholderID, 1, 20) {
		return nil, nil, domain.Date{}, none, fmt.Errorf("%w: cardholder_id and person_code are required", ErrInvalid)
	}
	dob, err := domain.ParseDate(q.DateOfBirth)
	if err != nil {
		return nil, nil, domain.Date{}, none, fmt.Errorf("%w: date_of_birth: %v", ErrInvalid, err)
	}
	asOf := e.today()
	if q.AsOf != "" {
		if asOf, err = domain.ParseDate(q.AsOf); err != nil {
			return nil, nil, domain.Date{}, none, fmt.Errorf("%w: as_of_date: %v", ErrInvalid, err)
		}
	}
	seg := domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	if q.NetworkType != "" {
		if err := seg.Type.UnmarshalText([]byte(q.NetworkType)); err != nil {
			return nil, nil, domain.Date{}, none, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if q.NetworkClass != "" {
		if err := seg.Class.UnmarshalText([]byte(q.NetworkClass)); err != nil {
			return nil, nil, domain.Date{}, none, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	fam, err := e.store.Family(ctx, q.CardholderID)
	if err != nil {
		return nil, nil, domain.Date{}, none, fmt.Errorf("family lookup: %w", err)
	}
	var m *domain.Member
	if fam != nil {
		m = fam.Member(pc)
	}
	if m == nil || m.DateOfBirth != dob {
		return nil, nil, domain.Date{}, none, fmt.Errorf("%w: no member matches that cardholder, person code and date of birth", ErrNotFound)
	}
	return m, fam, asOf, seg, nil
}

// limitAmounts reports a deductible or out-of-pocket limit for a member and
// the family: what has accumulated in the segments the limit reads, and
// what remains. The member's remainder is capped by the family's, as a
// claim's is: a member whose family has met the limit has nothing left.
func limitAmounts(l edits.Limit, k accumulators.Kind, docs accumulators.Docs, seg domain.Segment) (member, family Amounts) {
	member.Accumulated = docs.Member.Total(k, "", l.Accumulation, seg)
	family.Accumulated = docs.Family.Total(k, "", l.Accumulation, seg)
	rem := func(limit, acc decimal.Decimal) decimal.NullDecimal {
		return decimal.NullDecimal{Decimal: decimal.Max(decimal.Zero, limit.Sub(acc)), Valid: true}
	}
	if l.Family.IsPositive() {
		family.Limit = decimal.NullDecimal{Decimal: l.Family, Valid: true}
		family.Remaining = rem(l.Family, family.Accumulated)
	}
	if l.Individual.IsPositive() {
		member.Limit = decimal.NullDecimal{Decimal: l.Individual, Valid: true}
		member.Remaining = rem(l.Individual, member.Accumulated)
		if family.Remaining.Valid && family.Remaining.Decimal.LessThan(member.Remaining.Decimal) {
			member.Remaining = family.Remaining
		}
	}
	return member, family
}
