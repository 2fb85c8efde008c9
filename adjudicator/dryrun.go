package adjudicator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/shopspring/decimal"
)

// A dry run re-adjudicates past paid claims under the configuration in
// force, with chosen Draft versions (edits, plans, networks: draftKinds)
// applied as though Active, and writes nothing: the go-live check of a
// draft (DOMAIN.md §3).
//
// It compares each answer under the drafts with one of two befores
// (DryRunCompare). The baseline, by default: the same claims re-run in the
// same run, same order and same inputs, under the configuration in force
// without the drafts, so the diff shows only what the drafts change. Or
// the stored answers, which a run in date of service order reproduces only
// where the claims were billed in that order and none was reversed after a
// later one paid. Both passes write nothing; they share the family's reads
// (its claims, history and family versions), which are made once. The
// draft pass also takes the baseline pass's outcomes (answers, and the
// state they leave: keys, history entries and accumulators, saved once)
// of the family's claims dated before the first date of service the
// drafts can change (draftSnapshot): those claims see the same
// configuration and the same earlier claims in both passes.
//
// Claims are re-adjudicated family by family; within a family, in date of
// service order (ties in claim ID order, the order they were billed). The
// accumulators and history each claim sees are those the family's earlier
// claims leave: a selected claim its new answer's, any other paid claim
// its stored one's. So a claim rejected under a draft no longer counts
// toward the deductible of the claims after it. Each claim reads its
// family as it read it when it was paid (its family version), so an
// enrollment change since shows as no change (DOMAIN.md §2).
//
// Memory: the first pass scans the members' histories (HistoryScanner)
// and passes on each family with a selected claim; over a store without
// that scan, it reads every claim record once and keeps, per family with
// a paid claim on or before the selection's end, its person codes and
// whether a claim of it is selected. The second pass runs the selected
// families on dryRunWorkersPerCPU workers per processor and holds at most
// twice that many families at a time: their paid claims up to the
// selection's end (read in one batch, without traces, where the store is
// a ClaimBatchReader), their accumulators, history and family versions,
// and their changes until the caller has them (in the families' order).

// DryRun bounds: a selection spans at most MaxDryRunDays days, and names at
// most MaxDryRunDrafts drafts; IDs are at most maxDryRunID bytes.
const (
	MaxDryRunDays   = 731
	MaxDryRunDrafts = 32
	maxDryRunID     = 64
)

// DryRunSelection chooses the paid claims a dry run re-adjudicates: those
// with a date of service from From to To (both included, both required),
// and, when set, of the plan, the family's group or the group's client,
// and the cardholder (and person code). Compare says what their answers
// under the drafts are compared with.
type DryRunSelection struct {
	From, To     domain.Date
	PlanID       string
	GroupID      string
	ClientID     string
	CardholderID string
	PersonCode   string
	Compare      DryRunCompare
}

// DryRunCompare is what a dry run compares the answers under its drafts
// with: the "before" of its changes and totals.
type DryRunCompare string

const (
	// CompareBaseline (the default, also when empty) compares with the
	// baseline: the same selection re-run in the same dry run without the
	// drafts. A change is the drafts' doing and nothing else's.
	CompareBaseline DryRunCompare = "baseline"
	// CompareStored compares with the answers stored when the claims were
	// adjudicated. Claims billed out of date of service order, and reversals
	// after a later paid claim, show as changes too.
	CompareStored DryRunCompare = "stored"
)

// mode is the comparison c names (empty: the baseline).
func (c DryRunCompare) mode() DryRunCompare {
	if c == "" {
		return CompareBaseline
	}
	return c
}

// Validate checks the selection's bounds. Its errors wrap ErrInvalid and
// name no member.
func (s DryRunSelection) Validate() error {
	var problems []string
	switch {
	case s.From.IsZero() || s.To.IsZero():
		problems = append(problems, "from and to: both dates are required")
	case s.To.Before(s.From):
		problems = append(problems, fmt.Sprintf("to: %s is before from %s", s.To, s.From))
	case s.To.Days()-s.From.Days()+1 > MaxDryRunDays:
		problems = append(problems, fmt.Sprintf("from %s to %s: %d days, more than %d", s.From, s.To, s.To.Days()-s.From.Days()+1, MaxDryRunDays))
	}
	for name, v := range map[string]string{"plan": s.PlanID, "group": s.GroupID, "client": s.ClientID, "cardholder": s.CardholderID, "person": s.PersonCode} {
		if len(v) > maxDryRunID {
			problems = append(problems, fmt.Sprintf("%s: longer than %d bytes", name, maxDryRunID))
		}
	}
	if s.PersonCode != "" && s.CardholderID == "" {
		problems = append(problems, "person: needs a cardholder")
	}
	if m := s.Compare.mode(); m != CompareBaseline && m != CompareStored {
		problems = append(problems, "compare: want baseline or stored")
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	return fmt.Errorf("%w: dry run: %s", ErrInvalid, strings.Join(problems, "; "))
}

// DryRunChange is one claim whose answer a dry run changed. The answers
// carry no trace.
type DryRunChange struct {
	ClaimID       string    `json:"claim_id"`
	DateOfService string    `json:"date_of_service"`
	RxNumber      string    `json:"rx_number"`
	PlanID        string    `json:"plan_id"`
	Before        *Response `json:"before"`
	After         *Response `json:"after"`
}

// DryRunReport is what a dry run found: its totals. Claims counts the
// selected claims re-adjudicated, Context the other paid claims of their
// families read for the state they leave. The befores are Compare's: the
// baseline's answers or the stored ones. BaselineDiffers (baseline only)
// counts the selected claims whose baseline answer differs from the stored
// one: not the drafts' doing (the order the claims came in, reversals,
// configuration changed since).
type DryRunReport struct {
	Compare         DryRunCompare   `json:"compare"`
	BaselineDiffers int             `json:"baseline_differs_from_stored"`
	Claims          int             `json:"claims"`
	Context         int             `json:"context"`
	Families        int             `json:"families"`
	Changed         int             `json:"changed"`
	MembersAffected int             `json:"members_affected"`
	PlanPaidBefore  decimal.Decimal `json:"plan_paid_before"`
	PlanPaidAfter   decimal.Decimal `json:"plan_paid_after"`
	PatientBefore   decimal.Decimal `json:"patient_pay_before"`
	PatientAfter    decimal.Decimal `json:"patient_pay_after"`
	Elapsed         time.Duration   `json:"elapsed"`
}

// DryRun re-adjudicates the claims sel selects under the configuration in
// force with drafts applied as though Active, writes nothing, calls fn with
// every claim whose status, reject codes or amounts differ from sel.Compare's
// (by family, then date of service) and returns the totals. One replay or
// dry run runs at a time (ErrBusy); sel out of bounds, too many drafts or
// a draft of no known kind is ErrInvalid, an unknown draft
// edits.ErrNotFound, a version that is no draft edits.ErrConflict, an
// unknown family or member ErrNotFound.
func (e *Engine) DryRun(ctx context.Context, sel DryRunSelection, drafts []DraftRef, fn func(*DryRunChange) error) (*DryRunReport, error) {
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	if len(drafts) > MaxDryRunDrafts {
		return nil, fmt.Errorf("%w: dry run: %d drafts, more than %d", ErrInvalid, len(drafts), MaxDryRunDrafts)
	}
	reader, ok := e.store.(ClaimReader)
	if !ok {
		return nil, errors.New("adjudicator: the store cannot read its claims")
	}
	if sel.CardholderID != "" {
		// A family or member that is not enrolled is a mistake in the
		// request, not a selection without changes.
		fam, err := e.store.Family(ctx, sel.CardholderID)
		if err != nil {
			return nil, err
		}
		if fam == nil || sel.PersonCode != "" && fam.Member(sel.PersonCode) == nil {
			return nil, fmt.Errorf("%w: no such member", ErrNotFound)
		}
	}
	feed, err := e.familyFeed(sel)
	if err != nil {
		return nil, err
	}
	release, err := e.replayTurn()
	if err != nil {
		return nil, err
	}
	defer release()
	start := time.Now()
	base := e.snap.Load()
	snap, from, err := e.draftSnapshot(drafts, "dry run")
	if err != nil {
		return nil, err
	}
	rep, err := e.dryRunFamilies(ctx, func(ctx context.Context, yield func(*dryFamily) error) error { return feed(ctx, snap, yield) },
		func() *dryRunner { return newDryRunner(e, base, snap, from, sel, reader) }, fn)
	if err != nil {
		return nil, err
	}
	rep.Compare, rep.Elapsed = sel.Compare.mode(), time.Since(start)
	return rep, nil
}

// familyFeed returns what finds the families with claims sel may select
// and passes them on: one scan of the members' histories (HistoryScanner),
// else one read of every claim record (ClaimScanner).
func (e *Engine) familyFeed(sel DryRunSelection) (func(context.Context, *snapshot, func(*dryFamily) error) error, error) {
	if hs, ok := e.store.(HistoryScanner); ok {
		return func(ctx context.Context, snap *snapshot, yield func(*dryFamily) error) error {
			return hs.ForEachFamilyHistory(sel.To, func(cardholderID string, members map[string][]HistoryEntry) error {
				if sel.CardholderID != "" && cardholderID != sel.CardholderID || !anyWithin(members, sel) {
					return nil
				}
				if sel.GroupID != "" || sel.ClientID != "" {
					if in, err := e.familyIn(ctx, snap, cardholderID, sel); err != nil || !in {
						return err
					}
				}
				return yield(&dryFamily{cardholderID: cardholderID, members: members})
			})
		}, nil
	}
	scanner, ok := e.store.(ClaimScanner)
	if !ok {
		return nil, errors.New("adjudicator: the store cannot list its claims")
	}
	return func(ctx context.Context, snap *snapshot, yield func(*dryFamily) error) error {
		fams, err := e.selectFamilies(ctx, scanner, snap, sel)
		if err != nil {
			return err
		}
		for _, f := range fams {
			if err := yield(f); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// anyWithin reports whether a member (sel's, when it names one) has a
// claim with a date of service in sel's range.
func anyWithin(members map[string][]HistoryEntry, sel DryRunSelection) bool {
	for person, hist := range members {
		if sel.PersonCode != "" && person != sel.PersonCode {
			continue
		}
		for _, h := range hist {
			if !h.DateOfService.Before(sel.From) && !h.DateOfService.After(sel.To) {
				return true
			}
		}
	}
	return false
}

// familyResult is what a dry run of one family found.
type familyResult struct {
	rep     DryRunReport
	changes []*DryRunChange
	err     error
}

// dryRunFamilies runs the families on dryRunWorkersPerCPU workers per
// processor, each with its own dryRunner, and passes their changes to fn
// in the families' order.
// At most twice as many families as workers are in flight, so what is
// held stays a few families' claims and changes.
func (e *Engine) dryRunFamilies(ctx context.Context, feed func(context.Context, func(*dryFamily) error) error, runner func() *dryRunner,
	fn func(*DryRunChange) error) (*DryRunReport, error) {
	ctx, cancel := context.WithCancel(ctx)
	// More workers than processors: a worker waits on the store's reads
	// (a disk read, a PostgreSQL round trip) as often as it computes.
	workers := dryRunWorkersPerCPU * runtime.GOMAXPROCS(0)
	type job struct {
		f   *dryFamily
		out chan familyResult
	}
	jobs, order := make(chan job), make(chan chan familyResult, 2*workers)
	var wg sync.WaitGroup
	defer func() {
		cancel() // the feeder stops, then the workers; none outlives the call
		wg.Wait()
	}()
	for range workers {
		wg.Go(func() {
			d := runner()
			for j := range jobs {
				j.out <- d.family(ctx, j.f)
			}
		})
	}
	var feedErr error // set before order is closed
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		feedErr = feed(ctx, func(f *dryFamily) error {
			out := make(chan familyResult, 1)
			select {
			case order <- out:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- job{f, out}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	})
	rep := &DryRunReport{}
	for out := range order {
		var r familyResult
		select {
		case r = <-out:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if r.err != nil {
			return nil, r.err
		}
		rep.add(&r.rep)
		for _, c := range r.changes {
			if fn == nil {
				break
			}
			if err := fn(c); err != nil {
				return nil, err
			}
		}
	}
	if feedErr != nil {
		return nil, fmt.Errorf("dry run: finding the families: %w", feedErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rep, nil
}

// dryRunWorkersPerCPU is how many families a dry run runs at once per
// processor.
const dryRunWorkersPerCPU = 4

// add adds a family's totals to r.
func (r *DryRunReport) add(f *DryRunReport) {
	r.Claims += f.Claims
	r.BaselineDiffers += f.BaselineDiffers
	r.Families += f.Families
	r.Context += f.Context
	r.Changed += f.Changed
	r.MembersAffected += f.MembersAffected
	r.PlanPaidBefore, r.PlanPaidAfter = r.PlanPaidBefore.Add(f.PlanPaidBefore), r.PlanPaidAfter.Add(f.PlanPaidAfter)
	r.PatientBefore, r.PatientAfter = r.PatientBefore.Add(f.PatientBefore), r.PatientAfter.Add(f.PatientAfter)
}

// dryFamily is a family the first pass found: its members with paid
// claims up to the selection's end.
type dryFamily struct {
	cardholderID string
	persons      []string
	selected     bool
	// members, when not nil, are the members' history entries up to the
	// selection's end (from a HistoryScanner); else they are read by person.
	members map[string][]HistoryEntry
}

// selectFamilies reads every claim record once and returns, by cardholder
// ID, the families with a selected claim.
func (e *Engine) selectFamilies(ctx context.Context, scanner ClaimScanner, snap *snapshot, sel DryRunSelection) ([]*dryFamily, error) {
	fams := map[string]*dryFamily{}
	inGroup := map[string]bool{} // by cardholder ID, when sel names a group or client
	err := scanner.ForEachClaim(func(rec *ClaimRecord) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !rec.Paid() || rec.Claim == nil || rec.Response == nil {
			return nil
		}
		dos, err := domain.ParseDate(rec.Key.DateOfService)
		if err != nil {
			return fmt.Errorf("claim %s: %w", rec.ID, err)
		}
		if dos.After(sel.To) || sel.CardholderID != "" && rec.CardholderID != sel.CardholderID {
			return nil // it leaves nothing a selected claim reads
		}
		f := fams[rec.CardholderID]
		if f == nil {
			f = &dryFamily{cardholderID: rec.CardholderID}
			fams[rec.CardholderID] = f
		}
		if !slices.Contains(f.persons, rec.PersonCode) {
			f.persons = append(f.persons, rec.PersonCode)
		}
		if f.selected || dos.Before(sel.From) || sel.PlanID != "" && rec.Response.PlanID != sel.PlanID ||
			sel.PersonCode != "" && rec.PersonCode != sel.PersonCode {
			return nil
		}
		if sel.GroupID != "" || sel.ClientID != "" {
			in, ok := inGroup[rec.CardholderID]
			if !ok {
				if in, err = e.familyIn(ctx, snap, rec.CardholderID, sel); err != nil {
					return err
				}
				inGroup[rec.CardholderID] = in
			}
			if !in {
				return nil
			}
		}
		f.selected = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dry run: reading the claims: %w", err)
	}
	var out []*dryFamily
	for _, f := range fams {
		if f.selected {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *dryFamily) int { return strings.Compare(a.cardholderID, b.cardholderID) })
	return out, nil
}

// familyIn reports whether the family is in sel's group and client, as
// enrolled now.
func (e *Engine) familyIn(ctx context.Context, snap *snapshot, cardholderID string, sel DryRunSelection) (bool, error) {
	fam, err := e.store.Family(ctx, cardholderID)
	if err != nil || fam == nil {
		return false, err
	}
	g := snap.groups[fam.GroupID]
	return g != nil && (sel.GroupID == "" || g.ID == sel.GroupID) && (sel.ClientID == "" || g.ClientID == sel.ClientID), nil
}

// dryRunner re-adjudicates one family at a time over st, which holds the
// state of the family's claims run so far in the pass being run.
type dryRunner struct {
	live   *Engine
	shadow *Engine
	st     *replayStore
	reader ClaimReader
	base   *snapshot // the configuration in force: the baseline pass's
	snap   *snapshot // with the drafts active: the draft pass's
	// from is the first date of service snap can answer differently on
	// than base (zero: any date): a family's claims dated before it get
	// the same answers, and leave the same state, in both passes.
	from  domain.Date
	sel   DryRunSelection
	clock time.Time
	res   *familyResult // the family's being run
	// sums are the family's totals of plan paid and patient pay, before
	// and after, in int64 while they fit (compare).
	sums [4]dryTotal
	// Buffers reused from family to family.
	before []dryOutcome // the baseline pass's outcomes, by claim
	// saved is the baseline pass's state after its first at claims (at:
	// -1, none), for the draft pass to go on from.
	saved struct {
		dryState
		at int
	}
	once    []dryOnce // what either pass works out of a claim alone, by claim
	lent    docLoan   // the documents lent to the claim being re-adjudicated
	entries []HistoryEntry
	ids     []string
	claims  []dryClaim
}

// dryOutcome is what re-adjudicating a selected claim gave: its answer and
// what it left (nothing when it did not pay).
type dryOutcome struct {
	resp          *Response
	hist          *HistoryEntry
	contributions []accumulators.Contribution
}

func newDryRunner(e *Engine, base, snap *snapshot, from domain.Date, sel DryRunSelection, reader ClaimReader) *dryRunner {
	d := &dryRunner{live: e, reader: reader, base: base, snap: snap, from: from, sel: sel,
		st: &replayStore{live: e.store, byKey: map[ClaimKey]*ClaimRecord{}, byID: map[string]*ClaimRecord{},
			docs: map[docRef]*accumulators.Doc{}, history: map[string][]HistoryEntry{}, copyHistory: e.dryRunCopies}}
	d.saved.dryState, d.saved.at = newDryState(), -1
	d.shadow = newShadow(d.st, func() time.Time { return d.clock }, e.canonicalKeysOnly)
	d.shadow.priorAuths = e.priorAuths // the prior authorizations in force now
	return d
}

// dryClaim is one paid claim of a family and its stored history entry.
type dryClaim struct {
	rec  *ClaimRecord
	hist HistoryEntry
	dos  domain.Date
}

// earliest is the first date a family's claims are read from.
var earliest = domain.NewDate(1900, time.January, 1)

// family runs the family's paid claims up to the selection's end in date
// of service order.
func (d *dryRunner) family(ctx context.Context, f *dryFamily) familyResult {
	d.res, d.sums = &familyResult{}, [4]dryTotal{}
	if err := d.runFamily(ctx, f); err != nil {
		return familyResult{err: err}
	}
	r := &d.res.rep
	r.PlanPaidBefore, r.PatientBefore, r.PlanPaidAfter, r.PatientAfter = d.sums[0].sum(), d.sums[1].sum(), d.sums[2].sum(), d.sums[3].sum()
	return *d.res
}

// dryTotal is a sum of amounts with decimal.Decimal's rules (the sum at
// the smallest exponent), in int64 (money.Fixed) while it fits, then in
// decimal.Decimal.
type dryTotal struct {
	f   money.Fixed
	d   decimal.Decimal
	big bool
}

func (t *dryTotal) add(x decimal.Decimal) {
	if !t.big {
		if s := t.f.Add(money.Of(x)); s.OK() {
			t.f = s
			return
		}
		t.d, t.big = t.f.Decimal(), true
	}
	t.d = t.d.Add(x)
}

// sum is the total; a sum of nothing is decimal.Decimal's zero value, the
// report's.
func (t *dryTotal) sum() decimal.Decimal {
	switch {
	case t.big:
		return t.d
	case t.f == money.Fixed{}:
		return decimal.Decimal{}
	}
	return t.f.Decimal()
}

func (d *dryRunner) runFamily(ctx context.Context, f *dryFamily) error {
	members := f.members
	if members == nil {
		members = map[string][]HistoryEntry{}
		for _, p := range f.persons {
			hist, err := d.live.store.History(ctx, f.cardholderID, p, earliest, d.sel.To)
			if err != nil {
				return fmt.Errorf("dry run: history: %w", err)
			}
			members[p] = hist
		}
	}
	claims, err := d.read(ctx, members)
	if err != nil {
		return err
	}
	slices.SortFunc(claims, func(a, b dryClaim) int {
		if c := a.dos.Days() - b.dos.Days(); c != 0 {
			return c
		}
		return strings.Compare(a.rec.ID, b.rec.ID)
	})
	d.st.fam.id, d.st.fam.versions, d.st.fam.now, d.st.fam.nowRead = "", nil, nil, false
	if l, ok := d.live.store.(FamilyVersionLister); ok {
		// Each claim reads the family as it read it (replayStore.Family).
		vs, err := l.FamilyVersionsOf(ctx, f.cardholderID)
		if err != nil {
			return fmt.Errorf("dry run: family versions: %w", err)
		}
		d.st.fam.id, d.st.fam.versions = f.cardholderID, vs
	}
	affected := map[string]bool{}
	if d.sel.Compare.mode() == CompareStored {
		if err := d.pass(ctx, claims, d.snap, 0, func(i int, o dryOutcome) {
			d.compare(claims[i].rec, claims[i].rec.Response, o.resp, affected)
		}, -1); err != nil {
			return err
		}
	} else {
		// The baseline pass, then the draft pass over the same claims,
		// read once. The draft pass takes the baseline's outcomes of the
		// claims dated before the drafts can change anything; without
		// drafts, all of them.
		d.before = slices.Grow(d.before[:0], len(claims))[:len(claims)]
		d.once = slices.Grow(d.once[:0], len(claims))[:len(claims)]
		clear(d.once)
		shared := len(claims)
		if d.snap != d.base {
			shared, _ = slices.BinarySearchFunc(claims, d.from, func(c dryClaim, from domain.Date) int { return c.dos.Days() - from.Days() })
			if d.from.IsZero() || d.live.dryRunUnshared {
				shared = 0
			}
		}
		d.saved.at = -1 // the baseline pass saves its state after the shared claims
		if err := d.pass(ctx, claims, d.base, 0, func(i int, o dryOutcome) {
			d.before[i] = o
			if !sameOutcome(claims[i].rec.Response, o.resp) {
				d.res.rep.BaselineDiffers++
			}
		}, shared); err != nil {
			return err
		}
		if err := d.pass(ctx, claims, d.snap, shared, func(i int, o dryOutcome) {
			d.compare(claims[i].rec, d.before[i].resp, o.resp, affected)
		}, -1); err != nil {
			return err
		}
	}
	for _, c := range claims {
		if !d.selects(c) {
			d.res.rep.Context++
		}
	}
	d.res.rep.MembersAffected = len(affected)
	if d.res.rep.Claims > 0 {
		d.res.rep.Families = 1
	}
	return nil
}

// pass runs the family's claims from an empty state under snap: each
// selected claim is re-adjudicated and fn gets its index and outcome;
// every other paid claim leaves what it left when it was paid. The first
// shared claims are not re-adjudicated: they take the baseline pass's
// outcomes (d.before), which snap cannot change, and the state they leave,
// which the baseline pass saved (d.saved) when they are not all the claims
// (else no claim reads it). save is where a baseline pass saves its state:
// after its first save claims, when some claims come before and after.
func (d *dryRunner) pass(ctx context.Context, claims []dryClaim, snap *snapshot, shared int, fn func(int, dryOutcome), save int) error {
	start := 0
	switch {
	case shared > 0 && (shared == len(claims) || d.saved.at == shared):
		for i := range shared {
			if d.selects(claims[i]) {
				fn(i, d.before[i])
			}
		}
		start = shared
		if shared < len(claims) {
			d.st.swap(&d.saved.dryState)
		}
	case shared > 0:
		return fmt.Errorf("%w: dry run: the baseline's state after %d claims was not saved", ErrInternal, shared)
	default:
		d.st.clearState()
	}
	for i := start; i < len(claims); i++ {
		c := &claims[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		if i == save && save > 0 {
			d.saved.at = i
			d.st.saveTo(&d.saved.dryState)
		}
		if !d.selects(*c) {
			d.leave(c.rec, &c.hist, c.rec.Contributions)
			continue
		}
		o, err := d.readjudicate(ctx, snap, c.rec, d.onceOf(i))
		if err != nil {
			return err
		}
		fn(i, o)
	}
	return nil
}

// dryState is what the claims of a pass so far left in a replayStore.
type dryState struct {
	byKey   map[ClaimKey]*ClaimRecord
	byID    map[string]*ClaimRecord
	docs    map[docRef]*accumulators.Doc
	history map[string][]HistoryEntry // by MemberID
}

func newDryState() dryState {
	return dryState{byKey: map[ClaimKey]*ClaimRecord{}, byID: map[string]*ClaimRecord{}, docs: map[docRef]*accumulators.Doc{},
		history: map[string][]HistoryEntry{}}
}

func (s *replayStore) clearState() {
	clear(s.byKey)
	clear(s.byID)
	clear(s.docs)
	clear(s.history)
}

// saveTo makes to a copy of s's state; the documents, which later claims
// change in place, cloned. A history slice is shared: later claims only
// append to it, past its length in to.
func (s *replayStore) saveTo(to *dryState) {
	clear(to.byKey)
	clear(to.byID)
	clear(to.docs)
	clear(to.history)
	maps.Copy(to.byKey, s.byKey)
	maps.Copy(to.byID, s.byID)
	maps.Copy(to.history, s.history)
	for ref, doc := range s.docs {
		to.docs[ref] = doc.Clone()
	}
}

// swap exchanges s's state with st's.
func (s *replayStore) swap(st *dryState) {
	s.byKey, st.byKey = st.byKey, s.byKey
	s.byID, st.byID = st.byID, s.byID
	s.docs, st.docs = st.docs, s.docs
	s.history, st.history = st.history, s.history
}

// read reads the paid claims of the members' history entries, in claim ID
// order: in one batch, without their traces, where the store can.
func (d *dryRunner) read(ctx context.Context, members map[string][]HistoryEntry) ([]dryClaim, error) {
	entries := d.entries[:0]
	for _, hist := range members {
		entries = append(entries, hist...)
	}
	d.entries = entries
	slices.SortFunc(entries, func(a, b HistoryEntry) int { return strings.Compare(a.ClaimID, b.ClaimID) })
	entries = slices.CompactFunc(entries, func(a, b HistoryEntry) bool { return a.ClaimID == b.ClaimID })
	claims := d.claims[:0]
	defer func() { d.claims = claims[:0] }()
	keep := func(rec *ClaimRecord, h HistoryEntry) {
		if rec != nil && rec.ID == h.ClaimID && rec.Paid() && rec.Claim != nil && rec.Response != nil {
			claims = append(claims, dryClaim{rec: rec, hist: h, dos: h.DateOfService})
		}
	}
	if br, ok := d.reader.(ClaimBatchReader); ok {
		ids := d.ids[:0]
		for _, h := range entries {
			ids = append(ids, h.ClaimID)
		}
		d.ids = ids
		next := 0 // records come in ids' order, absent ones skipped
		err := br.ClaimsWithoutTrace(ctx, ids, func(rec *ClaimRecord) error {
			for next < len(entries) && entries[next].ClaimID < rec.ID {
				next++
			}
			if next < len(entries) {
				keep(rec, entries[next])
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dry run: claims: %w", err)
		}
		return claims, nil
	}
	for _, h := range entries {
		rec, err := d.reader.Claim(h.ClaimID)
		if err != nil {
			return nil, fmt.Errorf("dry run: claim %s: %w", h.ClaimID, err)
		}
		keep(rec, h)
	}
	return claims, nil
}

// selects reports whether the claim (of a family with a selected claim) is
// one the selection re-adjudicates; the group and client are the family's.
func (d *dryRunner) selects(c dryClaim) bool {
	s := d.sel
	return !c.dos.Before(s.From) && !c.dos.After(s.To) && (s.PlanID == "" || c.rec.Response.PlanID == s.PlanID) &&
		(s.PersonCode == "" || c.rec.PersonCode == s.PersonCode)
}

// leave applies what a paid claim leaves: its key, its contributions and
// its history entry (none: it paid nothing now).
func (d *dryRunner) leave(rec *ClaimRecord, hist *HistoryEntry, contributions []accumulators.Contribution) {
	d.leaveDocs(rec, hist, contributions, nil)
}

// leaveDocs is leave given, when acc is set, the claim's documents with its
// contributions already applied (its re-adjudication's, cloned from the
// state's at rec's period): they take the state's documents' place, the
// same sums without adding them again.
func (d *dryRunner) leaveDocs(rec *ClaimRecord, hist *HistoryEntry, contributions []accumulators.Contribution, acc *accumulators.Docs) {
	d.st.byKey[rec.Key] = rec
	d.st.byID[rec.ID] = rec
	if hist == nil {
		return
	}
	id := d.st.memberID(rec.CardholderID, rec.PersonCode)
	if acc != nil {
		d.st.docs[docRef{accumulators.Member, id, rec.Period}] = acc.Member
		d.st.docs[docRef{accumulators.Family, rec.CardholderID, rec.Period}] = acc.Family
	} else {
		d.st.pair(rec).Apply(contributions)
	}
	d.st.history[id] = append(d.st.history[id], *hist)
}

// dryOnce is what re-adjudicating a claim works out of the claim alone
// (its clock and its syntax step), kept from the baseline pass for the
// draft pass.
type dryOnce struct {
	at    time.Time // zero until worked out
	parse claimParse
}

// onceOf is claim i's dryOnce, nil in a single pass.
func (d *dryRunner) onceOf(i int) *dryOnce {
	if d.sel.Compare.mode() == CompareStored {
		return nil
	}
	return &d.once[i]
}

// readjudicate runs a selected claim again under snap, as a bill with the
// clock of its original adjudication (so the filing limit reads as it
// did), leaves what it paid, and returns its outcome. once, when set, is
// what an earlier pass worked out of the claim alone, or where this one
// keeps it.
func (d *dryRunner) readjudicate(ctx context.Context, snap *snapshot, rec *ClaimRecord, once *dryOnce) (dryOutcome, error) {
	var at time.Time
	var parse *claimParse
	if once != nil {
		at, parse = once.at, &once.parse
	}
	if at.IsZero() {
		var err error
		if at, err = idTime(rec.ID); err != nil {
			return dryOutcome{}, fmt.Errorf("dry run: %w", err)
		}
		if once != nil {
			once.at = at
		}
	}
	d.clock, d.st.at = at, rec.ID // the claim's clock, and its family as it read it
	d.st.lend = d.lendable(rec)
	defer func() { d.st.lend = nil }()
	a := &adjudication{engine: d.shadow, snap: snap, store: d.st, submitted: rec.Claim, docs: newDocSet(d.st),
		resp: &Response{ClaimID: rec.ID}, untraced: true, // the report shows no trace
		hash:    rec.Hash, // what hashing the claim again would give; only the record it builds, unused, keeps it
		reparse: parse,
		// The shadow engine and its state are this runner's alone: no
		// other claim takes its family locks, so eligibility takes none.
		unlockFamilies: unlockNothing}
	after, err := a.run(ctx, dryRunSteps)
	if err != nil {
		return dryOutcome{}, fmt.Errorf("dry run of claim %s: %w", rec.ID, err)
	}
	o := dryOutcome{resp: after}
	var acc *accumulators.Docs
	if after.Status == Paid {
		o.hist, o.contributions = a.historyEntry(), a.contributions
		if c := a.claim; a.period == rec.Period && c.CardholderID == rec.CardholderID && c.personCode == rec.PersonCode &&
			a.acc.Member != nil && a.acc.Family != nil {
			acc = &a.acc // what contribute applied o.contributions to: the state's documents, lent or cloned
		}
	}
	d.leaveDocs(rec, o.hist, o.contributions, acc)
	return o, nil
}

func unlockNothing() {}

// lendable is the documents a claim's re-adjudication is lent
// (replayStore.lend): rec's member's and family's for its period, which
// the state's documents become when it pays (leaveDocs, the same sums), so
// contribute changes them in place instead of a copy. Nothing else changes
// a document read (a dry run replaces no original), and a claim not paid
// reaches no contribute. They are lent only to a claim of rec's member in
// rec's period (readjudicate's acc): with no ':' in rec's cardholder ID and
// person code, a member ID equal to rec's is rec's cardholder and person
// (MemberID); the family's document is lent only once the member's is.
func (d *dryRunner) lendable(rec *ClaimRecord) *docLoan {
	if d.live.dryRunCopies || strings.Contains(rec.CardholderID, ":") || strings.Contains(rec.PersonCode, ":") {
		return nil
	}
	d.lent = docLoan{member: docRef{accumulators.Member, d.st.memberID(rec.CardholderID, rec.PersonCode), rec.Period},
		family: docRef{accumulators.Family, rec.CardholderID, rec.Period}}
	return &d.lent
}

// compare adds a selected claim's answers before and after to the totals
// and reports the claim if they differ.
func (d *dryRunner) compare(rec *ClaimRecord, before, after *Response, members map[string]bool) {
	r := &d.res.rep
	r.Claims++
	d.sums[0].add(before.PlanPaid)
	d.sums[1].add(before.PatientPay)
	d.sums[2].add(after.PlanPaid)
	d.sums[3].add(after.PatientPay)
	if sameOutcome(before, after) {
		return
	}
	r.Changed++
	members[MemberID(rec.CardholderID, rec.PersonCode)] = true
	d.res.changes = append(d.res.changes, &DryRunChange{ClaimID: rec.ID, DateOfService: rec.Key.DateOfService, RxNumber: rec.Key.RxNumber,
		PlanID: rec.Response.PlanID, Before: withoutTrace(before), After: withoutTrace(after)})
}

func withoutTrace(r *Response) *Response {
	cp := *r
	cp.Trace = nil
	return &cp
}

// dryRunSteps re-adjudicates a stored claim: no duplicate check (its own
// key is paid), nothing written.
var dryRunSteps = claimSteps((*adjudication).noDuplicateCheck, (*adjudication).commitReplay)

func (a *adjudication) noDuplicateCheck(context.Context) error {
	a.trace("", "dry run: the stored claim is re-adjudicated")
	return nil
}

// sameOutcome compares what a dry run reports: status, reject codes and
// every amount.
func sameOutcome(a, b *Response) bool {
	if a.Status != b.Status || !slices.Equal(a.Rejects, b.Rejects) {
		return false
	}
	x, y := amounts(a), amounts(b)
	for i := range x {
		if !x[i].Equal(y[i]) {
			return false
		}
	}
	return sameNull(a.RemainingBenefit, b.RemainingBenefit) && sameNull(a.RemainingOutOfPocket, b.RemainingOutOfPocket)
}

func sameNull(a, b decimal.NullDecimal) bool {
	return a.Valid == b.Valid && (!a.Valid || a.Decimal.Equal(b.Decimal))
}

func amounts(r *Response) [12]decimal.Decimal {
	return [12]decimal.Decimal{r.IngredientCostPaid, r.DispensingFeePaid, r.TotalAllowed, r.PlanPaid, r.PatientPay,
		r.Deductible, r.Copay, r.Coinsurance, r.ProductSelection, r.ExceedingBenefitMax, r.AccumulatedDeductible, r.RemainingDeductible}
}
