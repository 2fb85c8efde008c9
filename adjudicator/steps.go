package adjudicator

import (
	"context"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
)

// step is one named step of a pipeline. A step stops the transaction in
// one way only: by giving the response its status (rejected, duplicate,
// or the stored answer of a repeated reversal). A Go error means the engine
// could not decide. The trace names what a step does by the step's name.
type step struct {
	name string
	run  func(*adjudication, context.Context) error
}

// The pipelines of DOMAIN.md section 6. A bill, a rebill and a test claim
// differ only in their duplicate check and their commit.
var (
	billSteps      = claimSteps((*adjudication).duplicateBill, (*adjudication).commitBill)
	rebillSteps    = claimSteps((*adjudication).duplicateRebill, (*adjudication).commitRebill)
	testClaimSteps = claimSteps((*adjudication).duplicateTestClaim, (*adjudication).commitNothing)
	reverseSteps   = []step{
		{"syntax", (*adjudication).reversalSyntax},
		{stepRouting, (*adjudication).reversalRouting},
		{"reversal", (*adjudication).reversal},
		{"commit", (*adjudication).commitReversal},
	}
)

// claimSteps is the pipeline of a claim, in the order of the package
// documentation, with the given duplicate check and commit.
func claimSteps(duplicate, commit func(*adjudication, context.Context) error) []step {
	return []step{
		{"syntax", (*adjudication).syntax},
		{stepRouting, (*adjudication).routing},
		{"duplicate", duplicate},
		{"eligibility", (*adjudication).eligibility},
		{"submission", (*adjudication).submission},
		{"pharmacy", (*adjudication).pharmacy},
		{"product", (*adjudication).product},
		{"prescription", (*adjudication).prescription},
		{"prescriber", (*adjudication).prescriber},
		{"edits", (*adjudication).selectEdits},
		{"limitations", (*adjudication).limitations},
		{"clinical", (*adjudication).clinical},
		{"pricing", (*adjudication).pricing},
		{"claim cost", (*adjudication).claimCost},
		{"accumulators", (*adjudication).loadAccumulators},
		{"count maximums", (*adjudication).countMaximums},
		{"deductible", (*adjudication).deductible},
		{"cost share", (*adjudication).costShare},
		{"brand penalty", (*adjudication).brandPenalty},
		{"out of pocket", (*adjudication).outOfPocket},
		{"max dollars", (*adjudication).maxDollars},
		{"contributions", (*adjudication).contribute},
		{"balances", (*adjudication).balances},
		{"commit", commit},
	}
}

// run carries the transaction through steps until one gives the response
// its status, releases the locks the steps took and, when the commit was
// applied but is not yet durable (Applier), waits for it: nothing is
// answered before it is durable. Waiting outside the locks is safe
// because a later transaction that reads this one's writes is durable
// only if this one is (see Applier); and the store publishes to its caches
// only what is durable.
func (a *adjudication) run(ctx context.Context, steps []step) (*Response, error) {
	resp, err := a.runLocked(ctx, steps)
	if a.wait != nil {
		if werr := a.wait(); werr != nil {
			return nil, werr // the store's error says it was the commit
		}
	}
	return resp, err
}

// runLocked runs the steps and releases their locks.
func (a *adjudication) runLocked(ctx context.Context, steps []step) (*Response, error) {
	defer a.release()
	for i := range steps {
		a.step = steps[i].name
		if err := steps[i].run(a, ctx); err != nil {
			return nil, err
		}
		if a.resp.Status != "" {
			if a.resp.ClaimID == "" { // a paid claim's was issued at its commit
				a.resp.ClaimID = a.engine.newID()
			}
			return a.answer()
		}
	}
	return nil, fmt.Errorf("%w: the pipeline ended without a status", ErrInternal)
}

// answer completes the response a step stopped at. A claim rejected after
// pricing pays nothing, so its amounts are cleared; any other status is
// final as it stands.
func (a *adjudication) answer() (*Response, error) {
	resp := a.resp
	if resp.Status != Rejected {
		return resp, nil
	}
	resp.clearAmounts()
	resp.finishMessage()
	if err := resp.Check(); err != nil {
		return nil, fmt.Errorf("%w: response broke an invariant: %w", ErrInternal, err)
	}
	return resp, nil
}

// trace records what the current step decided.
func (a *adjudication) trace(rule, format string, args ...any) {
	if a.untraced {
		return
	}
	a.resp.trace(a.step, rule, "", format, args...)
}

// traceTyped is trace of typed arguments (argText, argCents), which are
// not boxed.
func (a *adjudication) traceTyped(rule, format string, args ...TraceArg) {
	if !a.untraced {
		a.resp.traceTyped(a.step, rule, "", format, args)
	}
}

// release unlocks what the steps locked, families before the claim key.
func (a *adjudication) release() {
	if a.unlockFamilies != nil {
		a.unlockFamilies()
	}
	if a.unlockKey != nil {
		a.unlockKey()
	}
}

// syntax is step 1: every field present and well formed.
func (a *adjudication) syntax(context.Context) error {
	if r := a.reparse; r != nil && r.ok { // a dry run's second pass: the same claim, the same day
		p := r.claim
		a.claim, a.key, a.hash = &p, r.key, r.hash
		a.trace("", "all fields valid")
		return nil
	}
	p, rejects := parseClaim(a.submitted, a.today())
	if len(rejects) > 0 {
		a.resp.reject(rejects...)
		a.trace("", "%d field(s) missing or invalid", len(rejects))
		return nil
	}
	a.trace("", "all fields valid")
	a.claim, a.key = p, p.key()
	if a.hash == "" { // else a dry run's, the stored record's hash of the same claim
		a.hash = a.submitted.hash()
	}
	if a.reparse != nil { // as parsed, before any later step changes it
		*a.reparse = claimParse{claim: *p, key: a.key, hash: a.hash, ok: true}
	}
	return nil
}

// routing is the end of step 1: the claim's BIN and PCN must be a route of
// this processor (01, 1T). A claim that meets it leaves no trace here.
func (a *adjudication) routing(context.Context) error {
	a.route, _ = routeOf(a.snap, a.resp, a.claim.BIN, a.claim.PCN)
	return nil
}

// reversalRouting is routing for a B2.
func (a *adjudication) reversalRouting(context.Context) error {
	_, _ = routeOf(a.engine.snap.Load(), a.resp, a.rev.BIN, a.rev.PCN)
	return nil
}

// paidUnderKey takes the claim key's lock and returns the paid claim
// billed under the key (canonical, or a legacy form), or nil.
func (a *adjudication) paidUnderKey(ctx context.Context) (*ClaimRecord, error) {
	return a.paidUnderKeyWith(ctx, "")
}

// paidUnderKeyWith is paidUnderKey that, given a family (a B1's, known
// before its key is read) and a store shared by several engines that is
// a FamilyPrefetcher, also takes the family's lock right after the key's
// and has the store read the family in the key read's round trip;
// eligibility then finds the family locked.
func (a *adjudication) paidUnderKeyWith(ctx context.Context, family string) (*ClaimRecord, error) {
	unlock, err := a.engine.lockKey(ctx, a.key)
	if err != nil {
		return nil, err
	}
	a.unlockKey = unlock
	if p, ok := a.store.(FamilyPrefetcher); ok && family != "" && a.engine.tx != nil {
		if a.unlockFamilies, err = a.engine.lockFamilies(ctx, family); err != nil {
			return nil, err
		}
		p.PrefetchFamily(ctx, family)
	}
	recs, err := a.recordsUnderKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("duplicate check: %w", err)
	}
	return firstPaid(recs, a.submitted.RxNumber), nil
}

// duplicateBill is step 2 of a B1: an identical resubmission of a paid
// claim gets the original answer; different content under its key is 83.
func (a *adjudication) duplicateBill(ctx context.Context) error {
	paid, err := a.paidUnderKeyWith(ctx, a.claim.CardholderID)
	switch {
	case err != nil:
		return err
	case paid == nil:
		a.trace("", "no paid claim under this key")
	case a.sameContent(paid):
		a.returnOriginal(paid)
	default:
		a.resp.reject(ncpdpDuplicatePaid)
		a.trace("", "claim %s is already paid under this pharmacy, Rx number, fill and date with different content", paid.ID)
	}
	return nil
}

// duplicateRebill is step 2 of a B3: it needs a paid claim to replace; the
// identical resubmission of a rebill gets the original answer.
func (a *adjudication) duplicateRebill(ctx context.Context) error {
	paid, err := a.paidUnderKey(ctx)
	switch {
	case err != nil:
		return err
	case paid == nil:
		a.resp.reject(ncpdpNotPaid)
		a.trace("", "no paid claim under this key to rebill")
	case a.sameContent(paid) && paid.Transaction == TxRebill:
		a.returnOriginal(paid)
	case !samePayer(paid, a.claim.BIN, a.claim.PCN):
		a.resp.reject(ncpdpNotPaid)
		a.trace("", "the paid claim under this key was billed under BIN/PCN %s/%s, not this one", paid.Claim.BIN, paid.Claim.PCN)
	default:
		a.original = paid
		a.trace("", "rebill replaces paid claim %s", paid.ID)
	}
	return nil
}

// duplicateTestClaim is step 2 of a test claim: a paid claim under the key
// is re-adjudicated as if it were rebilled.
func (a *adjudication) duplicateTestClaim(ctx context.Context) error {
	paid, err := a.paidUnderKey(ctx)
	switch {
	case err != nil:
		return err
	case paid == nil:
		a.trace("", "test claim: no paid claim under this key")
	default:
		a.original = paid
		a.trace("", "test claim: re-adjudicates paid claim %s as if it were rebilled", paid.ID)
	}
	return nil
}

// returnOriginal answers an identical resubmission with the paid claim's
// own response, status D; nothing changes.
func (a *adjudication) returnOriginal(paid *ClaimRecord) {
	dup := *paid.Response
	dup.Status = Duplicate
	dup.Message = "DUPLICATE OF PAID CLAIM"
	dup.Flags = nil // they belong to the original adjudication
	dup.Trace = append(slices.Clip(dup.Trace), TraceStep{Step: a.step,
		Format: "identical to paid claim %s; original response returned, nothing changed", Args: []TraceArg{{Kind: ArgText, Text: paid.ID}}})
	a.resp = &dup
}

// eligibility is step 3. It locks the cardholder's family, with the
// family of the claim a rebill replaces, and only then reads it: a family
// removed or cancelled meanwhile is seen as it now is.
func (a *adjudication) eligibility(ctx context.Context) error {
	c := a.claim
	if a.unlockFamilies == nil { // else a B1's, locked with its key
		ids := []string{c.CardholderID}
		if a.original != nil {
			ids = append(ids, a.original.CardholderID)
		}
		unlock, err := a.engine.lockFamilies(ctx, ids...)
		if err != nil {
			return err
		}
		a.unlockFamilies = unlock
	}
	fam, err := a.store.Family(ctx, c.CardholderID)
	if err != nil {
		return fmt.Errorf("family lookup: %w", err)
	}
	a.family = fam
	a.member, a.plan, _ = eligibility(a.snap, a.resp, a.route, fam, c.personCode, c.dob, c.GroupID, c.dos, a.untraced)
	if a.plan != nil {
		a.path = a.snap.pathFor(a.plan, fam.GroupID, c.dos)
		if a.path.trace != "" && !a.untraced {
			a.resp.trace(stepSettings, "", "", "%s", a.path.trace)
		}
	}
	return nil
}

// submission is the end of step 3: the rules of the member's plan for the
// claim as submitted. A date of service more than the filing limit before
// today is too old (81); the other coverage code must agree with the
// plan's place in coordination of benefits (otherCoverage); a usual & customary charge of 0.00 rejects 8T
// unless the plan ignores it, and then it takes no part in the lesser-of.
// A claim that meets both rules leaves no trace here, as most claims do.
func (a *adjudication) submission(context.Context) error {
	c, set := a.claim, &a.path.settings
	today := a.today()
	switch limit := *set.FilingLimitDays; {
	case limit <= 0 || !c.dos.AddDays(limit).Before(today):
	case a.retro != nil:
		a.trace("", "date of service %s is more than %d days before %s: the filing limit binds pharmacies, not a retroactive re-adjudication", c.dos, limit, today)
	default:
		a.resp.reject(ncpdp.RejectClaimTooOld)
		a.trace("", "reject %s: date of service %s is more than %d days before %s", ncpdp.RejectClaimTooOld, c.dos, limit, today)
	}
	a.otherCoverage()
	if !c.uc.IsZero() {
		return nil
	}
	if set.ZeroUsualAndCustomary == config.ZeroUCIgnore {
		c.ucIgnored = true
		a.trace("", "usual & customary 0.00 ignored: the lesser-of leaves it out")
		return nil
	}
	a.resp.reject(ncpdp.RejectUCMustBeGreaterThanZero)
	a.trace("", "reject %s: usual & customary 0.00 is not a price", ncpdp.RejectUCMustBeGreaterThanZero)
	return nil
}

// pharmacy is step 4: the network the claim is in.
func (a *adjudication) pharmacy(context.Context) error {
	c := a.claim
	a.network, a.segment, _ = pharmacyNetwork(a.snap, a.resp, a.plan, c.PharmacyNPI, c.dos, c.DaysSupply, a.path.settings.Retail90MinDays, a.untraced)
	return nil
}

// loadAccumulators reads the member's and family's documents for the
// claim's benefit period, without the contributions of the claim a rebill
// replaces.
func (a *adjudication) loadAccumulators(ctx context.Context) error {
	c := a.claim
	a.period = domain.PeriodStart(c.dos, a.plan.periodStart)
	if a.original != nil {
		if err := a.docs.remove(ctx, a.original); err != nil {
			return err
		}
	}
	docs, err := a.docs.pair(ctx, c.CardholderID, c.personCode, a.period)
	if err != nil {
		return err
	}
	a.acc = docs
	return nil
}

// pay makes the claim paid once every step has passed it.
func (a *adjudication) pay() error {
	a.resp.Status = Paid
	a.resp.finishMessage()
	if err := a.resp.Check(); err != nil {
		return fmt.Errorf("%w: adjudication broke an invariant, nothing written: %w", ErrInternal, err)
	}
	return nil
}

func (a *adjudication) commitBill(ctx context.Context) error   { return a.commit(ctx, TxBill) }
func (a *adjudication) commitRebill(ctx context.Context) error { return a.commit(ctx, TxRebill) }

// commitNothing is the commit of a test claim: paid, nothing written.
func (a *adjudication) commitNothing(context.Context) error { return a.pay() }

// commit pays the claim and writes its record, history entry and
// accumulators, with the reversal of the claim a rebill replaces, in one
// durable batch. The claim's ID is issued here, under the family lock, so
// IDs order a family's commits (replay reads them in that order).
func (a *adjudication) commit(ctx context.Context, tx string) error {
	if err := a.pay(); err != nil {
		return err
	}
	id, err := a.newID(ctx)
	if err != nil {
		return err
	}
	a.resp.ClaimID = id
	rec := a.record(tx)
	commit := &Commit{Records: []*ClaimRecord{rec}, Index: rec, History: a.historyEntry(), Docs: a.docs.writes()}
	if a.original != nil {
		replaced := *a.original
		replaced.Reversal = &ReversalRecord{Transaction: TxRebill, ReplacedBy: rec.ID}
		commit.Records = append(commit.Records, &replaced)
	}
	return a.durable(ctx, commit)
}

// record is the claim record of the paid claim.
func (a *adjudication) record(tx string) *ClaimRecord {
	c, resp := a.claim, a.resp
	if a.original != nil {
		resp.ReversedClaimID = a.original.ID
	}
	return &ClaimRecord{
		ID: resp.ClaimID, Transaction: tx, Key: a.key, Hash: a.hash,
		CardholderID: c.CardholderID, PersonCode: c.personCode, Period: a.period,
		Claim: a.submitted, Response: resp, Contributions: a.contributions, ConfigVersion: a.snap.version,
		PriorAuths: a.pas, TraceVersion: TraceVersion,
	}
}

// historyEntry is what the claim adds to the member's history.
func (a *adjudication) historyEntry() *HistoryEntry {
	h := &HistoryEntry{ClaimID: a.resp.ClaimID, DateOfService: a.claim.dos, PharmacyNPI: a.claim.PharmacyNPI, RxNumber: a.claim.rx,
		NDC: a.drug.NDC, Class: a.drug.TherapeuticClass,
		DaysSupply: a.claim.DaysSupply, Quantity: a.claim.qty, PlanPaid: a.resp.PlanPaid, Segment: a.segment, PriorAuths: a.paUsed}
	h.Buckets = make([]string, 0, len(maxKinds)) // one bucket per kind, unless an exception counts in the plan's too
	for i, k := range maxKinds {
		for _, lv := range levels(a.sel.Winner(k)) {
			b := maxPlanBuckets[i] // the plan's bucket, most claims' (no string built)
			if lv != "" {
				b += lv
			}
			h.Buckets = append(h.Buckets, b)
		}
	}
	return h
}

// reversalSyntax is step 1 of a B2.
func (a *adjudication) reversalSyntax(context.Context) error {
	key, rejects := parseReversal(a.rev)
	if len(rejects) > 0 {
		a.resp.reject(rejects...)
		a.trace("", "%d field(s) missing or invalid", len(rejects))
		return nil
	}
	a.key, a.hash = key, a.rev.hash()
	return nil
}

// reversal finds the paid claim a B2 reverses and takes its contributions
// out of the accumulators. A repeated identical reversal gets the original
// answer.
func (a *adjudication) reversal(ctx context.Context) error {
	r := a.rev
	unlock, err := a.engine.lockKey(ctx, a.key)
	if err != nil {
		return err
	}
	a.unlockKey = unlock
	recs, err := a.recordsUnderKey(ctx)
	if err != nil {
		return err
	}
	if done := repeatedReversal(recs, a.hash); done != nil {
		a.resp = done.Reversal.Response
		return nil
	}
	rec := firstPaid(recs, r.RxNumber)
	switch {
	case rec == nil:
		a.resp.reject(ncpdpNotPaid)
		a.trace("", "no paid claim under this pharmacy, Rx number, fill and date")
		return nil
	case r.CardholderID != "" && r.CardholderID != rec.CardholderID,
		r.ProductID != "" && normalizeNDC(r.ProductID) != normalizeNDC(rec.Claim.ProductID):
		a.resp.reject(ncpdpNotPaid)
		a.trace("", "the paid claim under this key is for another cardholder or product")
		return nil
	case !samePayer(rec, r.BIN, r.PCN):
		a.resp.reject(ncpdpNotPaid)
		a.trace("", "the paid claim under this key was billed under BIN/PCN %s/%s, not this one", rec.Claim.BIN, rec.Claim.PCN)
		return nil
	}
	if a.unlockFamilies, err = a.engine.lockFamilies(ctx, rec.CardholderID); err != nil {
		return err
	}
	if err := a.docs.remove(ctx, rec); err != nil {
		return err
	}
	a.original = rec
	a.resp.ReversedClaimID = rec.ID
	a.resp.PlanID = rec.Response.PlanID
	a.trace("", "claim %s reversed; its %d accumulator contributions removed", rec.ID, len(rec.Contributions))
	return nil
}

// commitReversal accepts the reversal and writes it with the accumulators.
func (a *adjudication) commitReversal(ctx context.Context) error {
	id, err := a.newID(ctx) // under the family lock, as a claim's (see commit)
	if err != nil {
		return err
	}
	resp := a.resp
	resp.Status, resp.ClaimID = Accepted, id
	resp.finishMessage()
	reversed := *a.original
	reversed.Reversal = &ReversalRecord{Transaction: TxReverse, Hash: a.hash, Response: resp}
	if a.audit != nil {
		a.audit.Outcome, a.audit.Detail = AuditOK, "reversal accepted as claim "+resp.ClaimID
	}
	return a.durable(ctx, &Commit{Records: []*ClaimRecord{&reversed}, Docs: a.docs.writes(), Audit: a.audit})
}

// stepNames lists the names of a pipeline's steps, in order.
func stepNames(steps []step) []string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.name
	}
	return names
}
