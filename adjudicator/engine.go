package adjudicator

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
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
	// AfterRetroStep, when set, is called after each step of a retro job
	// (a reversal or a re-bill; durable, or, in a family committed at once,
	// before the family's commit): a crash test's hook.
	AfterRetroStep func()
}

// Engine adjudicates claims. It is safe for concurrent use.
type Engine struct {
	store    Store
	now      func() time.Time
	snap     atomic.Pointer[snapshot]
	seed     maphash.Seed
	keyLocks *stripeLocks // locks.go
	// canonicalKeysOnly: the store holds no claim key written before Rx
	// numbers were canonical, so a lookup needs no legacy forms.
	canonicalKeysOnly bool
	famLocks          *stripeLocks
	ids               idClock
	floor             IDFloor        // nil unless the store records families' last IDs
	health            StoreHealth    // nil if the store does not report failures
	priorAuths        PriorAuthStore // nil if the stores keep no PA records
	tx                Transactor     // nil unless the store is shared by several engines
	replaying         atomic.Bool    // a replay or dry run holds the one slot (replayTurn)
	retroRuns         retroRuns      // the retro jobs running (retro.go)
	retroStepHook     func()

	// dryRunUnshared (tests only) makes a dry run's draft pass re-adjudicate
	// every claim, taking none of the baseline's outcomes.
	dryRunUnshared bool
	// dryRunCopies (tests only) makes a dry run's claims read copies of the
	// state's accumulator documents, none lent (dryRunner.lendable), and
	// of its history (replayStore.History).
	dryRunCopies bool

	adminMu sync.Mutex     // serializes configuration changes
	cfg     *config.Config // the configuration in force, normalized; owned under adminMu
	configs ConfigStore
	history ConfigHistory // nil: the store keeps no configuration versions

	versionsMu sync.Mutex
	versions   map[uint64]*snapshot // compiled past versions, for replay (versions.go)
}

// New compiles cfg and returns an engine over opts.Store.
func New(cfg *config.Config, opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("adjudicator: Options.Store is required")
	}
	e := &Engine{store: opts.Store, now: opts.Now, seed: maphash.MakeSeed(), configs: opts.Configs,
		keyLocks: newStripeLocks(), famLocks: newStripeLocks(), retroStepHook: opts.AfterRetroStep}
	e.health, _ = opts.Store.(StoreHealth)
	if p, ok := opts.Configs.(PriorAuthStore); ok {
		e.priorAuths = p
	} else {
		e.priorAuths, _ = opts.Store.(PriorAuthStore)
	}
	e.history, _ = opts.Configs.(ConfigHistory)
	e.tx, _ = opts.Store.(Transactor)
	e.floor, _ = opts.Store.(IDFloor)
	if r, ok := opts.Store.(PaddedKeyReporter); ok && !r.HasZeroPaddedKeys() {
		e.canonicalKeysOnly = true
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.ids.seq = rand.Uint32()
	if err := e.Reload(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload compiles cfg and swaps it in; claims in flight finish on the old
// snapshot. It does not persist cfg (see Import and the admin methods),
// only, when it differs from the latest stored configuration version, a
// new version holding it.
func (e *Engine) Reload(cfg *config.Config) error {
	s, own, err := compileOwn(cfg)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	if err := e.startVersion(context.Background(), own, s); err != nil {
		return err
	}
	e.cfg = own
	e.snap.Store(s)
	return nil
}

// Follow swaps in configuration version v, which another engine sharing
// the store made and stored: claims in flight finish on the old snapshot,
// and every later claim records v.Number. Nothing is written. A version
// not newer than the one in force is ignored, so following is monotonic.
func (e *Engine) Follow(v *ConfigVersion) error {
	s, own, err := compileOwn(v.Config)
	if err != nil {
		return fmt.Errorf("configuration version %d: %w", v.Number, err)
	}
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	if v.Number <= e.snap.Load().version {
		return nil
	}
	s.version = v.Number
	e.cfg = own
	e.snap.Store(s)
	return nil
}

// compileOwn compiles cfg and returns it with the engine's own normalized
// copy of it, which later changes edit.
func compileOwn(cfg *config.Config) (*snapshot, *config.Config, error) {
	s, err := compile(cfg)
	if err != nil {
		return nil, nil, err
	}
	own, err := snapshotCopy(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := own.Normalize(); err != nil {
		return nil, nil, err
	}
	return s, own, nil
}

// today is the day of the ID clock's time (idClock.at): never before the
// day of an ID the engine issued.
func (e *Engine) today() domain.Date { return domain.DateOf(e.ids.at(e.now()).UTC()) }

func (e *Engine) stripe(s string) int { return int(maphash.String(e.seed, s) % lockStripes) }

// Bill adjudicates a claim (B1).
func (e *Engine) Bill(ctx context.Context, c *Claim) (*Response, error) {
	return e.adjudicate(ctx, e.snap.Load(), c, billSteps)
}

// Rebill reverses the paid claim with the same key and adjudicates c in its
// place, atomically (B3). If c rejects, the original stays paid.
func (e *Engine) Rebill(ctx context.Context, c *Claim) (*Response, error) {
	return e.adjudicate(ctx, e.snap.Load(), c, rebillSteps)
}

// adjudicate runs a claim through a pipeline against snap.
func (e *Engine) adjudicate(ctx context.Context, snap *snapshot, c *Claim, steps []step) (*Response, error) {
	if err := c.checkEnvelope(); err != nil {
		return nil, err
	}
	if err := e.storeFailed(); err != nil {
		return nil, err
	}
	return e.transact(ctx, func(ctx context.Context) (*Response, error) {
		a := &adjudication{engine: e, snap: snap, store: e.store, submitted: c, docs: newDocSet(e.store),
			resp: &Response{Trace: make([]TraceStep, 0, 16)}}
		return a.run(ctx, steps)
	})
}

// Reverse reverses the paid claim that r identifies (B2). A repeated
// identical reversal returns the original reversal answer.
func (e *Engine) Reverse(ctx context.Context, r *Reversal) (*Response, error) {
	return e.reverse(ctx, r, nil)
}

// reverse runs a reversal whose commit, if any, carries audit.
func (e *Engine) reverse(ctx context.Context, r *Reversal, audit *AuditEntry) (*Response, error) {
	if err := r.checkEnvelope(); err != nil {
		return nil, err
	}
	if err := e.storeFailed(); err != nil {
		return nil, err
	}
	return e.transact(ctx, func(ctx context.Context) (*Response, error) {
		a := &adjudication{engine: e, store: e.store, rev: r, audit: audit, docs: newDocSet(e.store), resp: &Response{}}
		return a.run(ctx, reverseSteps)
	})
}

// clearAmounts zeroes the amounts of a rejected claim, which pays nothing.
func (r *Response) clearAmounts() {
	z := decimal.Zero
	r.IngredientCostPaid, r.DispensingFeePaid, r.TotalAllowed, r.PlanPaid, r.PatientPay = z, z, z, z, z
	r.Deductible, r.Copay, r.Coinsurance, r.ProductSelection, r.ExceedingBenefitMax = z, z, z, z, z
	r.AccumulatedDeductible, r.RemainingDeductible = z, z
	r.RemainingBenefit, r.RemainingOutOfPocket = decimal.NullDecimal{}, decimal.NullDecimal{}
}

// docSet loads accumulator documents once per transaction and collects the
// ones it changed for the commit. A transaction reads a few documents (a
// member's and a family's, for one or two periods): a slice, searched in
// order, costs less than a map.
type docSet struct {
	store Store
	refs  []docRef // in the order first read
	docs  []*accumulators.Doc
	// Room for a claim's member and family documents, without allocating.
	refsBuf [2]docRef
	docsBuf [2]*accumulators.Doc
}

type docRef struct {
	scope  accumulators.Scope
	id     string
	period domain.Date
}

func newDocSet(s Store) *docSet {
	d := &docSet{store: s}
	d.refs, d.docs = d.refsBuf[:0], d.docsBuf[:0]
	return d
}

func (s *docSet) get(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	ref := docRef{scope, id, period}
	for i, r := range s.refs {
		if r == ref {
			return s.docs[i], nil
		}
	}
	d, err := s.store.Accumulators(ctx, scope, id, period)
	if err != nil {
		return nil, fmt.Errorf("accumulators: %w", err)
	}
	s.refs = append(s.refs, ref)
	s.docs = append(s.docs, d)
	return d, nil
}

// pair returns a member's and family's documents for a period.
func (s *docSet) pair(ctx context.Context, cardholderID, personCode string, period domain.Date) (accumulators.Docs, error) {
	var id string
	if r, ok := s.store.(*replayStore); ok {
		id = r.memberID(cardholderID, personCode) // made once per member
	} else {
		id = MemberID(cardholderID, personCode)
	}
	m, err := s.get(ctx, accumulators.Member, id, period)
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
	w := make([]DocWrite, 0, len(s.refs))
	for i, r := range s.refs {
		w = append(w, DocWrite{Scope: r.scope, ID: r.id, Period: r.period, Doc: s.docs[i]})
	}
	return w
}
