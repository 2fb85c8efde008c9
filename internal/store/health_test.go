package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/store"
)

// diskFull is a filesystem that answers ENOSPC, as a full disk does, to
// every write (or, with suffix set, to writes of files ending in it) once
// switched on. The files themselves are real, in a temporary directory.
type diskFull struct {
	on     atomic.Bool
	suffix string
	hits   atomic.Int64
}

func (d *diskFull) fs() vfs.FS {
	return errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !d.on.Load() || op.Kind.ReadOrWrite() != errorfs.OpIsWrite || !strings.HasSuffix(op.Path, d.suffix) {
			return nil
		}
		d.hits.Add(1)
		return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
	}))
}

// syncLog is a log sink safe for concurrent writers.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *syncLog) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var clock = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// demoEngine seeds st with the demo families and returns an engine over it.
func demoEngine(t *testing.T, st *store.Store) *adjudicator.Engine {
	t.Helper()
	cfg := demo.Config()
	if err := st.PutFamilies(ctx, "", cfg.Families, nil); err != nil {
		t.Fatal(err)
	}
	e, err := adjudicator.New(cfg, adjudicator.Options{Store: st, Configs: st, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// demoClaims returns n distinct claims of covered demo members.
func demoClaims(n int) []*adjudicator.Claim {
	members := demo.CoveredClaims(demo.Config(), domain.DateOf(clock))
	out := make([]*adjudicator.Claim, n)
	for i := range out {
		c := *members[i%len(members)]
		c.RxNumber = fmt.Sprint(7_000_000 + i)
		out[i] = &c
	}
	return out
}

// TestDiskFullFailsTheStore fills the disk under load: the store fails at
// the first write refused, every claim from then on is answered
// ErrUnavailable (none hangs, none is acknowledged without being durable),
// Close returns within its timeout, and the data directory reopened as it
// is (a restart once space is back) holds every acknowledged claim once,
// with balances equal to their claims.
func TestDiskFullFailsTheStore(t *testing.T) {
	dir := t.TempDir()
	full := &diskFull{}
	logs := &syncLog{}
	st, err := store.Open(store.Options{Dir: dir, FS: full.fs(), CloseTimeout: 2 * time.Second,
		MemTableBytes: 1 << 20, BlockCacheBytes: 1 << 20, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e := demoEngine(t, st)
	claims := demoClaims(4000)

	var mu sync.Mutex
	var acked []string
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(claims)); i = next.Add(1) - 1 {
				if i == 200 {
					full.on.Store(true)
				}
				r, err := e.Bill(ctx, claims[i])
				if err != nil {
					if !errors.Is(err, adjudicator.ErrUnavailable) {
						t.Errorf("claim %d: %v, want ErrUnavailable", i, err)
					}
					refused.Add(1)
					continue
				}
				if r.Status == adjudicator.Paid {
					mu.Lock()
					acked = append(acked, r.ClaimID)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait() // a claim stuck in a wedged commit would hang here
	if st.Failed() == nil || full.hits.Load() == 0 {
		t.Fatalf("store not failed after %d refused writes", full.hits.Load())
	}
	if !errors.Is(st.Failed(), store.ErrFailed) || !strings.Contains(st.Failed().Error(), "no space left on device") {
		t.Errorf("Failed() = %v", st.Failed())
	}
	t.Logf("%d claims acknowledged, %d answered ErrUnavailable, %d writes refused", len(acked), refused.Load(), full.hits.Load())
	if refused.Load() < int64(len(claims))-200-16 {
		t.Errorf("only %d claims refused after the disk filled", refused.Load())
	}
	if _, err := st.Claim(acked[0]); !errors.Is(err, store.ErrFailed) {
		t.Errorf("a read of the failed store: %v, want ErrFailed", err)
	}
	if n := strings.Count(logs.String(), "storage failure"); n != 1 {
		t.Errorf("the failure is logged %d times, want once:\n%s", n, logs)
	}
	if err := st.Close(); !errors.Is(err, store.ErrFailed) {
		t.Errorf("Close of a failed store = %v, want its failure", err)
	}

	// Restart with space: a copy of the directory as the failed store left it.
	reopened := openCopy(t, dir, store.Options{})
	for _, id := range acked {
		if rec, err := reopened.Claim(id); err != nil || rec == nil || !rec.Paid() {
			t.Fatalf("acknowledged claim %s after restart: %v %v", id, rec, err)
		}
	}
	verifyClean(t, reopened)
}

// openCopy copies dir (a store another Store may still hold) and opens
// the copy, as a restart of the process would open dir.
func openCopy(t *testing.T, dir string, o store.Options) *store.Store {
	t.Helper()
	dst := copyDir(t, dir)
	o.Dir = dst
	s, err := store.Open(o)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func verifyClean(t *testing.T, s *store.Store) {
	t.Helper()
	rep, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if rep.Paid == 0 {
		t.Error("no paid claim to verify")
	}
}

// TestOpenWithoutSpace: a store whose WAL must be flushed at open, on a
// disk with no room for the flush, fails to open at once with the cause
// instead of retrying forever; read-only it still opens and verifies; with
// space back it opens with every claim.
func TestOpenWithoutSpace(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := demoEngine(t, st)
	var ids []string
	for _, c := range demoClaims(50) {
		r, err := e.Bill(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ClaimID)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	full := &diskFull{suffix: ".sst"}
	full.on.Store(true)
	// Each Open below runs on a copy: an Open abandoned on failure keeps
	// the directory locked in this process.
	logs := &syncLog{}
	_, err = store.Open(store.Options{Dir: copyDir(t, dir), FS: full.fs(), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if !errors.Is(err, store.ErrFailed) || !errors.Is(err, adjudicator.ErrUnavailable) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Open on a full disk = %v, want a storage failure for lack of space", err)
	}
	t.Logf("Open on a full disk: %v", err)
	if strings.Contains(logs.String(), "storage failure") {
		t.Errorf("Open logged the failure it returns:\n%s", logs)
	}

	ro, err := store.Open(store.Options{Dir: copyDir(t, dir), FS: full.fs(), ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open on a full disk: %v", err)
	}
	verifyClean(t, ro)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	back := openCopy(t, dir, store.Options{})
	for _, id := range ids {
		if rec, err := back.Claim(id); err != nil || rec == nil {
			t.Fatalf("claim %s: %v %v", id, rec, err)
		}
	}
	verifyClean(t, back)
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := copyFile(filepath.Join(dir, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// A write of half a memtable or more (a bundle's families) must not stay
// in memory once it is durable: Pebble keeps such a batch as a layer of its
// own, and referenced it until a later memtable rotation, which an idle
// server may not make for hours (512 MB at a million members).
func TestLargeBatchReleased(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir(), MemTableBytes: 4 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fams := manyFamilies("LB", 60_000)
	before := liveHeap()
	if err := st.PutFamilies(ctx, "", fams, nil); err != nil {
		t.Fatal(err)
	}
	fams = nil
	st.LargeWritesReleased()
	after := liveHeap()
	// The batch holds each family twice (record and version), well over
	// 70 MB; what stays live besides it is the store's caches, a few MB.
	grown := int64(after) - int64(before)
	t.Logf("live heap grew by %d MiB", grown>>20)
	if grown > 32<<20 {
		t.Fatalf("the live heap grew by %d MiB after a large write: the batch is still referenced", grown>>20)
	}
}

// manyFamilies returns n copies of the demo families under new cardholder
// IDs with the given prefix.
func manyFamilies(prefix string, n int) []domain.Family {
	demoFams := demo.Config().Families
	fams := make([]domain.Family, n)
	for i := range fams {
		fams[i] = demoFams[i%len(demoFams)]
		fams[i].CardholderID = fmt.Sprintf("%s%09d", prefix, i)
	}
	return fams
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A large write whose flush fails (the disk fills as its memtable is
// flushed) is durable in the WAL: it must return, not wait for Pebble's
// flush retries, which go on until space is freed.
func TestLargeBatchFlushFails(t *testing.T) {
	full := &diskFull{suffix: ".sst"}
	st, err := store.Open(store.Options{Dir: t.TempDir(), FS: full.fs(), CloseTimeout: 2 * time.Second,
		MemTableBytes: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fams := manyFamilies("LF", 5_000)
	full.on.Store(true)
	done := make(chan error, 1)
	go func() { done <- st.PutFamilies(ctx, "", fams, nil) }()
	select {
	case err := <-done:
		t.Logf("PutFamilies: %v; store: %v", err, st.Failed())
	case <-time.After(20 * time.Second):
		t.Fatalf("a large write whose flush failed has not returned after 20s (store: %v)", st.Failed())
	}
	released := make(chan struct{})
	go func() { st.LargeWritesReleased(); close(released) }()
	select {
	case <-released:
		if st.Failed() == nil {
			t.Fatal("the release ended on a full disk, yet the store has not failed")
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("a large write's release still waits 20s after its flush failed (store: %v)", st.Failed())
	}
}

// A store closed while a large write's release waits for its flushes
// (a shutdown right after an import) must not panic: Pebble panics on a
// flush asked of a closed database.
func TestLargeBatchClosed(t *testing.T) {
	slow := errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite && strings.HasSuffix(op.Path, ".sst") {
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}))
	st, err := store.Open(store.Options{Dir: t.TempDir(), FS: slow, CloseTimeout: 2 * time.Second,
		MemTableBytes: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	fams := manyFamilies("LC", 5_000)
	if err := st.PutFamilies(ctx, "", fams, nil); err != nil {
		t.Fatal(err)
	}
	// The write is committed; its release waits on the slowed flushes.
	t.Logf("Close: %v", st.Close())
	released := make(chan struct{})
	go func() { st.LargeWritesReleased(); close(released) }()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("a large write's release still runs 10s after Close")
	}
}
