package adjudicator

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Transaction codes.
const (
	TxBill    = "B1"
	TxReverse = "B2"
	TxRebill  = "B3"
)

// Options configure an Engine.
type Options struct {
	Store Store
	// Configs, when set, keeps configuration changes made through the
	// admin methods durable.
	Configs ConfigStore
	// Now is the clock; defaults to time.Now. Claims dated after its day are post-dated (82).
	Now func() time.Time
}

// Engine adjudicates claims. It is safe for concurrent use.
type Engine struct {
	store    Store
	now      func() time.Time
	snap     atomic.Pointer[snapshot]
	seed     maphash.Seed
	keyLocks [1024]sync.Mutex
	famLocks [1024]sync.Mutex
	idSeq    atomic.Uint64

	adminMu sync.Mutex     // serializes configuration changes
	cfg     *config.Config // the configuration in force, normalized; owned under adminMu
	configs ConfigStore
}

// New compiles cfg and returns an engine over opts.Store.
func New(cfg *config.Config, opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("adjudicator: Options.Store is required")
	}
	e := &Engine{store: opts.Store, now: opts.Now, seed: maphash.MakeSeed(), configs: opts.Configs}
	if e.now == nil {
		e.now = time.Now
	}
	e.idSeq.Store(rand.Uint64() >> 24)
	if err := e.Reload(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload compiles cfg and swaps it in; claims in flight finish on the old
// snapshot. It does not persist cfg (see Import and the admin methods).
func (e *Engine) Reload(cfg *config.Config) error {
	s, err := compile(cfg)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	own, err := snapshotCopy(cfg)
	if err != nil {
		return err
	}
	if err := own.Normalize(); err != nil {
		return err
	}
	e.adminMu.Lock()
	e.cfg = own
	e.snap.Store(s)
	e.adminMu.Unlock()
	return nil
}

func (e *Engine) today() domain.Date { return domain.DateOf(e.now().UTC()) }

// newID returns a unique, time-ordered claim ID: 12 hex digits of
// milliseconds and 8 of a per-process sequence started at random.
func (e *Engine) newID() string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(e.now().UnixMilli())<<16)
	seq := e.idSeq.Add(1)
	b[6], b[7], b[8], b[9] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	return hex.EncodeToString(b[:])
}

func (e *Engine) stripe(s string) int { return int(maphash.String(e.seed, s) % 1024) }

// lockKey serializes transactions on one claim key. It is always taken
// before any family lock.
func (e *Engine) lockKey(k ClaimKey) func() {
	m := &e.keyLocks[e.stripe(k.String())]
	m.Lock()
	return m.Unlock
}

// lockFamilies serializes claims of the given families, taking their locks
// in one sorted batch so two callers never wait on each other in a cycle.
func (e *Engine) lockFamilies(ids ...string) func() {
	idx := make([]int, 0, len(ids))
	for _, id := range ids {
		idx = append(idx, e.stripe(id))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		e.famLocks[i].Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			e.famLocks[i].Unlock()
		}
	}
}

// Bill adjudicates a claim (B1).
func (e *Engine) Bill(ctx context.Context, c *Claim) (*Response, error) {
	return e.bill(ctx, c, TxBill)
}

// Rebill reverses the paid claim with the same key and adjudicates c in its
// place, atomically (B3). If c rejects, the original stays paid.
func (e *Engine) Rebill(ctx context.Context, c *Claim) (*Response, error) {
	return e.bill(ctx, c, TxRebill)
}

func (e *Engine) bill(ctx context.Context, c *Claim, tx string) (*Response, error) {
	return e.adjudicate(ctx, e.snap.Load(), c, tx, false)
}

// adjudicate runs a bill or rebill against snap. A dry run writes nothing:
// it adjudicates as a rebill would when the claim's key is already paid,
// so a past claim can be re-adjudicated.
func (e *Engine) adjudicate(ctx context.Context, snap *snapshot, c *Claim, tx string, dryRun bool) (*Response, error) {
	if err := c.checkEnvelope(); err != nil {
		return nil, err
	}
	resp := &Response{ClaimID: e.newID(), Trace: make([]TraceStep, 0, 16)}
	p, rejects := parseClaim(c, e.today())
	if len(rejects) > 0 {
		resp.reject(rejects...)
		resp.trace("syntax", "", "%d field(s) missing or invalid", len(rejects))
		return finish(resp)
	}
	resp.trace("syntax", "", "all fields valid")
	hash, key := c.hash(), p.key()

	defer e.lockKey(key)()
	prev, err := e.store.ClaimByKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("duplicate check: %w", err)
	}
	var original *ClaimRecord
	switch {
	case dryRun && prev != nil && prev.Paid():
		original = prev
		resp.trace("duplicate", "", "test claim: re-adjudicates paid claim %s as if it were rebilled", prev.ID)
	case dryRun:
		resp.trace("duplicate", "", "test claim: no paid claim under this key")
	case prev != nil && prev.Paid() && prev.Hash == hash && (tx == TxBill || prev.Transaction == TxRebill):
		dup := *prev.Response
		dup.Status = Duplicate
		dup.Message = "DUPLICATE OF PAID CLAIM"
		dup.Trace = append(slices.Clip(dup.Trace), TraceStep{Step: "duplicate", Outcome: "identical to paid claim " + prev.ID + "; original response returned, nothing changed"})
		return &dup, nil
	case prev != nil && prev.Paid() && tx == TxBill:
		resp.reject(ncpdpDuplicatePaid)
		resp.trace("duplicate", "", "claim %s is already paid under this pharmacy, Rx number, fill and date with different content", prev.ID)
		return finish(resp)
	case prev != nil && prev.Paid():
		original = prev
		resp.trace("duplicate", "", "rebill replaces paid claim %s", prev.ID)
	case tx == TxRebill:
		resp.reject(ncpdpNotPaid)
		resp.trace("duplicate", "", "no paid claim under this key to rebill")
		return finish(resp)
	default:
		resp.trace("duplicate", "", "no paid claim under this key")
	}

	fam, err := e.store.Family(ctx, c.CardholderID)
	if err != nil {
		return nil, fmt.Errorf("family lookup: %w", err)
	}
	families := []string{c.CardholderID}
	if original != nil {
		families = append(families, original.CardholderID)
	}
	defer e.lockFamilies(families...)()

	a := &adjudication{snap: snap, store: e.store, claim: p, resp: resp, family: fam, docs: newDocSet(e.store), original: original}
	if err := a.run(ctx); err != nil {
		return nil, err
	}
	if resp.Status == Rejected {
		return finish(resp)
	}
	resp.Status = Paid
	resp.finishMessage()
	if err := resp.Check(); err != nil {
		return nil, fmt.Errorf("%w: adjudication broke an invariant, nothing written: %w", ErrInternal, err)
	}
	if dryRun {
		return resp, nil
	}
	rec := &ClaimRecord{
		ID: resp.ClaimID, Transaction: tx, Key: key, Hash: hash,
		CardholderID: c.CardholderID, PersonCode: p.personCode, Period: a.period,
		Claim: c, Response: resp, Contributions: a.contributions,
	}
	commit := &Commit{Records: []*ClaimRecord{rec}, Index: rec, History: a.historyEntry(), Docs: a.docs.writes()}
	if original != nil {
		replaced := *original
		replaced.Reversal = &ReversalRecord{Transaction: TxRebill, ReplacedBy: rec.ID}
		commit.Records = append(commit.Records, &replaced)
		resp.ReversedClaimID = original.ID
	}
	if err := e.store.Commit(ctx, commit); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return resp, nil
}

// Reverse reverses the paid claim that r identifies (B2). A repeated
// identical reversal returns the original reversal answer.
func (e *Engine) Reverse(ctx context.Context, r *Reversal) (*Response, error) {
	if err := r.checkEnvelope(); err != nil {
		return nil, err
	}
	resp := &Response{ClaimID: e.newID()}
	key, rejects := parseReversal(r)
	if len(rejects) > 0 {
		resp.reject(rejects...)
		resp.trace("syntax", "", "%d field(s) missing or invalid", len(rejects))
		return finish(resp)
	}
	hash := r.hash()
	defer e.lockKey(key)()
	rec, err := e.store.ClaimByKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("claim lookup: %w", err)
	}
	switch {
	case rec != nil && !rec.Paid() && rec.Reversal.Hash == hash && rec.Reversal.Response != nil:
		return rec.Reversal.Response, nil
	case rec == nil || !rec.Paid():
		resp.reject(ncpdpNotPaid)
		resp.trace("reversal", "", "no paid claim under this pharmacy, Rx number, fill and date")
		return finish(resp)
	case r.CardholderID != "" && r.CardholderID != rec.CardholderID,
		r.ProductID != "" && normalizeNDC(r.ProductID) != normalizeNDC(rec.Claim.ProductID):
		resp.reject(ncpdpNotPaid)
		resp.trace("reversal", "", "the paid claim under this key is for another cardholder or product")
		return finish(resp)
	}
	defer e.lockFamilies(rec.CardholderID)()
	docs := newDocSet(e.store)
	if err := docs.remove(ctx, rec); err != nil {
		return nil, err
	}
	resp.Status = Accepted
	resp.ReversedClaimID = rec.ID
	resp.PlanID = rec.Response.PlanID
	resp.trace("reversal", "", "claim %s reversed; its %d accumulator contributions removed", rec.ID, len(rec.Contributions))
	resp.finishMessage()
	reversed := *rec
	reversed.Reversal = &ReversalRecord{Transaction: TxReverse, Hash: hash, Response: resp}
	if err := e.store.Commit(ctx, &Commit{Records: []*ClaimRecord{&reversed}, Docs: docs.writes()}); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return resp, nil
}

// finish completes a response that writes nothing. A claim rejected after
// pricing pays nothing, so its amounts are cleared.
func finish(resp *Response) (*Response, error) {
	if resp.Status == Rejected {
		z := decimal.Zero
		resp.IngredientCostPaid, resp.DispensingFeePaid, resp.TotalAllowed, resp.PlanPaid, resp.PatientPay = z, z, z, z, z
		resp.Deductible, resp.Copay, resp.Coinsurance, resp.ProductSelection, resp.ExceedingBenefitMax = z, z, z, z, z
		resp.AccumulatedDeductible, resp.RemainingDeductible = z, z
		resp.RemainingBenefit, resp.RemainingOutOfPocket = decimal.NullDecimal{}, decimal.NullDecimal{}
	}
	resp.finishMessage()
	if err := resp.Check(); err != nil {
		return nil, fmt.Errorf("%w: response broke an invariant: %w", ErrInternal, err)
	}
	return resp, nil
}

// docSet loads accumulator documents once per transaction and collects the
// ones it changed for the commit.
type docSet struct {
	store Store
	docs  map[docRef]*accumulators.Doc
	order []docRef
}

type docRef struct {
	scope  accumulators.Scope
	id     string
	period domain.Date
}

func newDocSet(s Store) *docSet { return &docSet{store: s, docs: map[docRef]*accumulators.Doc{}} }

func (s *docSet) get(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	ref := docRef{scope, id, period}
	if d, ok := s.docs[ref]; ok {
		return d, nil
	}
	d, err := s.store.Accumulators(ctx, scope, id, period)
	if err != nil {
		return nil, fmt.Errorf("accumulators: %w", err)
	}
	s.docs[ref] = d
	s.order = append(s.order, ref)
	return d, nil
}

// pair returns a member's and family's documents for a period.
func (s *docSet) pair(ctx context.Context, cardholderID, personCode string, period domain.Date) (accumulators.Docs, error) {
	m, err := s.get(ctx, accumulators.Member, MemberID(cardholderID, personCode), period)
	if err != nil {
		return accumulators.Docs{}, err
	}
	f, err := s.get(ctx, accumulators.Family, cardholderID, period)
	if err != nil {
		return accumulators.Docs{}, err
	}
	return accumulators.Docs{Member: m, Family: f}, nil
}

// remove takes a claim's contributions out of its documents.
func (s *docSet) remove(ctx context.Context, rec *ClaimRecord) error {
	docs, err := s.pair(ctx, rec.CardholderID, rec.PersonCode, rec.Period)
	if err != nil {
		return err
	}
	if err := docs.Remove(rec.Contributions); err != nil {
		return fmt.Errorf("reversing claim %s: %w", rec.ID, err)
	}
	return nil
}

func (s *docSet) writes() []DocWrite {
	w := make([]DocWrite, 0, len(s.order))
	for _, r := range s.order {
		w = append(w, DocWrite{Scope: r.scope, ID: r.id, Period: r.period, Doc: s.docs[r]})
	}
	return w
}
