package adjudicator_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store"
)

// hookStore is a real store with hooks: onAccumulators runs at each
// accumulator read (a step taken after the claim's locks, before its
// commit), onFamily at each family read (taken under the family lock).
// failed, once set, is the store's reported failure.
type hookStore struct {
	*store.Store
	onAccumulators func(ctx context.Context)
	onFamily       func(ctx context.Context)
	failed         atomic.Pointer[error]
}

func (s *hookStore) Accumulators(ctx context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	if s.onAccumulators != nil {
		s.onAccumulators(ctx)
	}
	return s.Store.Accumulators(ctx, scope, id, period)
}

func (s *hookStore) Family(ctx context.Context, id string) (*domain.Family, error) {
	if s.onFamily != nil {
		s.onFamily(ctx)
	}
	return s.Store.Family(ctx, id)
}

func (s *hookStore) Failed() error {
	if err := s.failed.Load(); err != nil {
		return *err
	}
	return nil
}

func hookedEngine(t *testing.T) (*adjudicator.Engine, *hookStore) {
	t.Helper()
	cfg := ppoConfig(t)
	clock := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	_, st := scenario.NewEngine(t, cfg, t.TempDir(), func() time.Time { return clock })
	hs := &hookStore{Store: st}
	e, err := adjudicator.New(cfg, adjudicator.Options{Store: hs, Configs: st, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return e, hs
}

func keyOf(c *adjudicator.Claim) adjudicator.ClaimKey {
	return adjudicator.ClaimKey{PharmacyNPI: c.PharmacyNPI, RxNumber: c.RxNumber, FillNumber: c.FillNumber, DateOfService: c.DateOfService}
}

// TestNoCommitAfterCallerGaveUp: a claim whose caller cancels after its
// locks are taken, before its commit, is not committed: the engine answers
// context.Canceled and nothing is written; the locks are released. The
// same holds for a reversal.
func TestNoCommitAfterCallerGaveUp(t *testing.T) {
	e, hs := hookedEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	hs.onAccumulators = func(context.Context) { cancel() }
	c := familyLockClaim()
	if r, err := e.Bill(ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("bill cancelled before its commit = %+v, %v; want context.Canceled", r, err)
	}
	hs.onAccumulators = nil
	if rec, err := hs.ClaimByKey(context.Background(), keyOf(c)); err != nil || rec != nil {
		t.Fatalf("the cancelled claim was written: %+v %v", rec, err)
	}
	doc, err := hs.Store.Accumulators(context.Background(), accumulators.Family, "SMITH01", domain.MustDate("2026-01-01"))
	if err != nil || len(doc.Entries) != 0 {
		t.Fatalf("the cancelled claim changed the accumulators: %+v %v", doc, err)
	}
	// Nothing was left locked, and the same claim pays.
	paid, err := e.Bill(context.Background(), c)
	if err != nil || paid.Status != adjudicator.Paid {
		t.Fatalf("bill after the cancelled one = %+v, %v", paid, err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	hs.onAccumulators = func(context.Context) { cancel() }
	rv := &adjudicator.Reversal{BIN: c.BIN, PCN: c.PCN, PharmacyNPI: c.PharmacyNPI, RxNumber: c.RxNumber, DateOfService: c.DateOfService}
	if r, err := e.Reverse(ctx, rv); !errors.Is(err, context.Canceled) {
		t.Fatalf("reversal cancelled before its commit = %+v, %v; want context.Canceled", r, err)
	}
	hs.onAccumulators = nil
	if rec, err := hs.Claim(paid.ClaimID); err != nil || rec == nil || !rec.Paid() {
		t.Fatalf("the cancelled reversal was written: %+v %v", rec, err)
	}
}

// holdFamily makes the next family read block, under the family lock,
// until the returned release is called; held is closed once it blocks.
func holdFamily(hs *hookStore) (held <-chan struct{}, release func()) {
	h, r := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	hs.onFamily = func(context.Context) {
		if once.CompareAndSwap(false, true) {
			close(h)
			<-r
		}
	}
	return h, func() { close(r) }
}

// TestLockWaitEndsWithContext: a claim waiting for a claim-key or family
// lock stops waiting when its context ends, and answers its context's
// error; the holder is unaffected.
func TestLockWaitEndsWithContext(t *testing.T) {
	e, hs := hookedEngine(t)
	held, release := holdFamily(hs)
	first := make(chan error, 1)
	go func() {
		_, err := e.Bill(context.Background(), familyLockClaim())
		first <- err
	}()
	<-held // the first claim holds its claim key and its family
	sameKey := familyLockClaim()
	sameFamily := familyLockClaim()
	sameFamily.RxNumber = "900002"
	for name, c := range map[string]*adjudicator.Claim{"claim key": sameKey, "family": sameFamily} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := e.Bill(ctx, c)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a claim waiting for the %s lock = %v, want context.DeadlineExceeded", name, err)
		}
	}
	release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if r, err := e.Bill(context.Background(), sameFamily); err != nil || r.Status != adjudicator.Paid {
		t.Fatalf("after the holder finished: %+v %v", r, err)
	}
}

// TestFailedStoreFailsFast: once the store reports a failure, a claim is
// answered ErrUnavailable before it takes any lock (here the family's is
// held by a claim in flight), and the claim in flight is not committed.
func TestFailedStoreFailsFast(t *testing.T) {
	e, hs := hookedEngine(t)
	held, release := holdFamily(hs)
	first := make(chan error, 1)
	go func() {
		_, err := e.Bill(context.Background(), familyLockClaim())
		first <- err
	}()
	<-held
	failure := errors.Join(adjudicator.ErrUnavailable, errors.New("disk full"))
	hs.failed.Store(&failure)
	other := familyLockClaim()
	other.RxNumber = "900002"
	if _, err := e.Bill(context.Background(), other); !errors.Is(err, adjudicator.ErrUnavailable) {
		t.Errorf("claim on a failed store = %v, want ErrUnavailable", err)
	}
	rv := &adjudicator.Reversal{BIN: other.BIN, PCN: other.PCN, PharmacyNPI: other.PharmacyNPI, RxNumber: other.RxNumber, DateOfService: other.DateOfService}
	if _, err := e.Reverse(context.Background(), rv); !errors.Is(err, adjudicator.ErrUnavailable) {
		t.Errorf("reversal on a failed store = %v, want ErrUnavailable", err)
	}
	release()
	if err := <-first; !errors.Is(err, adjudicator.ErrUnavailable) {
		t.Errorf("the claim in flight when the store failed = %v, want ErrUnavailable", err)
	}
	if rec, err := hs.Store.ClaimByKey(context.Background(), keyOf(familyLockClaim())); err != nil || rec != nil {
		t.Errorf("the claim in flight was committed: %+v %v", rec, err)
	}
}
