package store

// Storage failures. Pebble treats a failed WAL write or MANIFEST update as
// fatal: its commit pipeline is left locked, so later commits wait forever,
// and its default logger panics. A claims service must instead stop taking
// claims at once, answer them Unavailable, and stay stoppable. So:
//
//   - Pebble's Fatalf, any background error (a failed flush or compaction,
//     ENOSPC among them) and a panic of Pebble inside a commit mark the
//     store failed, once, with the cause;
//   - a failed store refuses every read and write at once with ErrFailed
//     (which wraps adjudicator.ErrUnavailable); a commit that is inside
//     Pebble when the store fails stops waiting and returns ErrFailed: its
//     outcome is unknown, as after a crash, and the WAL decides at restart;
//   - Open returns an error as soon as the store fails while opening (a
//     start without space), instead of waiting on Pebble's flush retries;
//   - Close gives up after Options.CloseTimeout;
//   - Pebble's repeated error lines are suppressed after the first, its
//     retry loop slowed once the store has failed, and its messages are
//     redacted: Pebble may quote keys, which hold cardholder IDs.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/redact"
	"github.com/rxclaims/rxclaims/adjudicator"
)

// ErrFailed is returned, with the cause, by every operation of a store
// that has had a storage failure: it takes no more reads or writes until
// it is reopened (restart the process once the data volume is healthy).
// It is an adjudicator.ErrUnavailable.
var ErrFailed error = failedError{}

type failedError struct{}

func (failedError) Error() string        { return "storage failed" }
func (failedError) Is(target error) bool { return target == adjudicator.ErrUnavailable }

// ErrCloseAbandoned is returned by Close when the database did not close
// within Options.CloseTimeout: the process should exit; the WAL holds every
// acknowledged write.
var ErrCloseAbandoned = errors.New("store: close did not finish in time and was abandoned")

// failureBackoff slows Pebble's retry loop once the store has failed: a
// flush that fails is retried at once, forever.
const failureBackoff = 250 * time.Millisecond

// health records the first storage failure of a store.
type health struct {
	log     *slog.Logger
	opening atomic.Bool // failures are returned by Open, not logged
	failed  atomic.Bool
	done    chan struct{} // closed on the first failure
	once    sync.Once
	cause   error // set before done is closed

	backgroundErrors, diskSlow, writeStalls atomic.Uint64
	// lastLine and suppressed rate-limit Pebble's error lines.
	lastLine   atomic.Int64
	suppressed atomic.Uint64
}

func newHealth(log *slog.Logger) *health {
	return &health{log: log, done: make(chan struct{})}
}

// fail marks the store failed with cause; only the first call counts.
func (h *health) fail(cause string) {
	h.once.Do(func() {
		// Read before done is closed: closing it lets Open return, which
		// ends the opening, and a failure Open returns is not logged too.
		opening := h.opening.Load()
		h.cause = fmt.Errorf("%w: %s", ErrFailed, cause)
		h.failed.Store(true)
		close(h.done)
		if !opening {
			h.log.Error("storage failure: the store is failed; claims are answered Unavailable until restart",
				"component", "store", "cause", cause)
		}
	})
}

// err is nil while the store is sound, the failure after.
func (h *health) err() error {
	if !h.failed.Load() {
		return nil
	}
	<-h.done
	return h.cause
}

// Failed returns nil while the store is sound, and an error wrapping
// ErrFailed (and adjudicator.ErrUnavailable) once it has had a storage
// failure. It implements adjudicator.StoreHealth.
func (s *Store) Failed() error { return s.health.err() }

// FailedC is closed when the store fails.
func (s *Store) FailedC() <-chan struct{} { return s.health.done }

// HealthStats are the store's failure counters since open.
type HealthStats struct {
	Failed                                  bool
	BackgroundErrors, DiskSlow, WriteStalls uint64
}

// HealthStats reports the store's failure counters.
func (s *Store) HealthStats() HealthStats {
	h := s.health
	return HealthStats{Failed: h.failed.Load(), BackgroundErrors: h.backgroundErrors.Load(),
		DiskSlow: h.diskSlow.Load(), WriteStalls: h.writeStalls.Load()}
}

// eventListener turns Pebble's events into failures, counters and log lines.
func (h *health) eventListener() *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			h.backgroundErrors.Add(1)
			if h.failed.Load() {
				time.Sleep(failureBackoff)
				return
			}
			h.fail("background error: " + describe(err))
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			h.diskSlow.Add(1)
			h.line(slog.LevelWarn, "disk slow", "operation", info.OpType.String(),
				"file", filepath.Base(info.Path), "duration", info.Duration.String())
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			h.writeStalls.Add(1)
			h.line(slog.LevelWarn, "write stall: commits wait for flushes and compactions", "reason", info.Reason)
		},
		WriteStallEnd: func() { h.line(slog.LevelInfo, "write stall ended") },
		LowDiskSpace: func(info pebble.LowDiskSpaceInfo) {
			h.line(slog.LevelWarn, "low disk space", "available_bytes", info.AvailBytes, "total_bytes", info.TotalBytes)
		},
	}
}

// line logs one of Pebble's lines, at most one a second: the lines in
// between are counted, and the count is reported with the next one.
func (h *health) line(level slog.Level, msg string, args ...any) {
	now := time.Now().UnixNano()
	last := h.lastLine.Load()
	if now-last < int64(time.Second) || !h.lastLine.CompareAndSwap(last, now) {
		h.suppressed.Add(1)
		return
	}
	if n := h.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed_lines", n)
	}
	h.log.Log(context.Background(), level, msg, append(args, "component", "pebble")...)
}

// describe says what failed in a storage error without quoting any key:
// the system error and the file, or Pebble's message with unsafe values
// redacted.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		var errno syscall.Errno
		errors.As(pe.Err, &errno)
		return fmt.Sprintf("%s (%s %s)%s", pe.Err, pe.Op, filepath.Base(pe.Path), hint(errno))
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error() + hint(errno)
	}
	return string(redact.Sprint(err).Redact())
}

// hint tells the operator what to do about a system error, if anything.
func hint(errno syscall.Errno) string {
	if errno == syscall.ENOSPC {
		return "; free space on the data volume, then restart"
	}
	return ""
}

// pebbleLogger sends Pebble's messages to slog, redacted, and turns its
// Fatalf into a store failure instead of a panic.
type pebbleLogger struct{ h *health }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.h.log.Debug(string(redact.Sprintf(format, args...).Redact()), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	msg := string(redact.Sprintf(format, args...).Redact())
	if e := errnoOf(args); e != 0 {
		p.h.line(slog.LevelError, msg, "errno", e.Error())
		return
	}
	p.h.line(slog.LevelError, msg)
}

// Fatalf marks the store failed and returns. Pebble calls it where it
// cannot go on (a failed WAL write, MANIFEST update or invariant); the
// store's operations check for the failure after every call into Pebble,
// so nothing after it is trusted or acknowledged.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := string(redact.Sprintf(format, args...).Redact())
	if e := errnoOf(args); e != 0 {
		msg += ": " + e.Error() + hint(e)
	}
	p.h.fail(msg)
}

// errnoOf returns the system error among args, if any, which the
// redacted message would hide ("no space left on device").
func errnoOf(args []any) syscall.Errno {
	for _, a := range args {
		var errno syscall.Errno
		if err, ok := a.(error); ok && errors.As(err, &errno) {
			return errno
		}
	}
	return 0
}

// openDB opens Pebble, giving up as soon as the store fails while opening:
// a store without space would otherwise retry its first flush forever.
func openDB(dir string, po *pebble.Options, h *health) (*pebble.DB, error) {
	h.opening.Store(true)
	defer h.opening.Store(false)
	type result struct {
		db  *pebble.DB
		err error
	}
	opened := make(chan result, 1)
	go func() {
		db, err := pebble.Open(dir, po)
		opened <- result{db, err}
	}()
	select {
	case r := <-opened:
		if r.err == nil && h.err() != nil {
			return nil, h.err() // the database is abandoned
		}
		return r.db, r.err
	case <-h.done:
		return nil, h.err() // the opening goroutine is abandoned
	}
}

// batch is a Pebble batch that Close leaves alone once a commit of it has
// been handed to a commit goroutine, which owns it from then (see applyBatch).
type batch struct {
	*pebble.Batch
	abandoned bool
}

func (s *Store) newBatch() *batch { return &batch{Batch: s.db.NewBatch()} }

// Close releases the batch unless it was handed to a commit goroutine
// (applyBatch), which alone releases it, once Pebble is done with it.
func (b *batch) Close() error {
	if b.abandoned {
		return nil
	}
	return b.Batch.Close()
}

// commitBatch commits b with sync: applyBatch, then its wait. A batch of
// half a memtable or more (a bundle's families: 512 MB at a million
// members) Pebble keeps as a layer of its own, flushes, and then still
// references until the memtable has rotated twice more, which an idle
// server may not do for hours: releaseLargeBatch makes those rotations
// (TestLargeBatchReleased).
func (s *Store) commitBatch(b *batch) error {
	large := uint64(b.Len()) >= s.opts.MemTableBytes/2
	synced, err := s.applyBatch(b)
	if err != nil {
		return err
	}
	if err := synced(); err != nil {
		return err
	}
	if large { // in the background: the caller may hold families' locks
		s.releasing.Add(1)
		go func() {
			defer s.releasing.Done()
			s.releaseLargeBatch()
		}()
	}
	return nil
}

// LargeWritesReleased waits until the large batches committed so far are
// released (releaseLargeBatch), or the store has failed or closed. The
// server calls it once its start's import is written, before it collects
// the start's garbage.
func (s *Store) LargeWritesReleased() { s.releasing.Wait() }

// releaseLargeBatch waits (a while at most) for Pebble to flush the large
// batch just committed, so that the rotations do not stall writes on the
// memtable count, then flushes twice. The batch is durable already: a
// failed flush is logged, not returned as a failed write; and once the
// store has failed (a flush without space, which Pebble retries until
// space is freed) or is closing, it waits no more and leaves Pebble alone
// (TestLargeBatchFlushFails, TestLargeBatchClosed).
func (s *Store) releaseLargeBatch() {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		var count int64
		if !s.release.do(func() { count = s.db.Metrics().MemTable.Count }) || count <= 1 {
			break
		}
		if !s.release.wait(s.health.done, nil, time.After(10*time.Millisecond)) {
			return
		}
	}
	for range 2 {
		var flushed <-chan struct{}
		var err error
		if !s.release.do(func() { flushed, err = s.db.AsyncFlush() }) {
			return
		}
		if err != nil {
			s.health.line(slog.LevelWarn, "flush after a large write failed", "error", err)
			return
		}
		if !s.release.wait(s.health.done, flushed, nil) {
			return
		}
	}
}

// releaseGuard keeps releaseLargeBatch's calls into Pebble from running
// into or after Close, which Pebble answers with a panic.
type releaseGuard struct {
	mu      sync.Mutex
	closed  bool
	closing chan struct{} // closed by close; made on first use
}

func (g *releaseGuard) ch() chan struct{} {
	if g.closing == nil {
		g.closing = make(chan struct{})
	}
	return g.closing
}

// do calls f unless the store is closing, and reports whether it did.
func (g *releaseGuard) do(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	f()
	return true
}

// wait waits for done or tick (true), or for failed or the store's
// closing (false).
func (g *releaseGuard) wait(failed, done <-chan struct{}, tick <-chan time.Time) bool {
	g.mu.Lock()
	closing := g.ch()
	g.mu.Unlock()
	select {
	case <-done:
		return true
	case <-tick:
		return true
	case <-failed:
	case <-closing:
	}
	return false
}

// close marks the store closing, once the call into Pebble under way, if
// any, has returned.
func (g *releaseGuard) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		close(g.ch())
	}
}

// applyBatch applies b with sync and returns once it is applied (visible
// to reads); synced returns once it is durable. A panic of Pebble's inside
// the commit (a failed WAL write) and a Fatalf during it fail the store,
// and so does any error the commit returns. If the store fails while the
// commit waits inside Pebble, applying or syncing, applyBatch or synced
// stops waiting: the outcome is unknown, as after a crash, and b is
// abandoned to Pebble.
//
// The commit runs in a goroutine of its own so that it can be abandoned
// (one kept from an earlier commit when one is idle: committers.go);
// the goroutine both applies and waits for the sync, so a claim costs one
// goroutine however its wait is split.
//
// Why a claim may release its locks between the two (the engine does,
// adjudicator.Applier): Pebble's WAL is one sequence, and a batch is
// durable only once every batch applied before it is. A later claim that
// read this batch's values (under the locks this one released) commits
// after it in the WAL, so it is durable only if this one is; if this one
// never becomes durable, the store has failed and no later commit is
// acknowledged either. So an acknowledged claim never rests on a write
// that could be lost: acknowledged means durable.
func (s *Store) applyBatch(b *batch) (synced func() error, err error) {
	if err := s.health.err(); err != nil {
		return nil, err
	}
	applied, durable := make(chan error, 1), make(chan error, 1)
	s.inflight.Add(1)
	// From here the goroutine owns b: it releases b once Pebble has
	// answered (never while Pebble may still use it, and never after a
	// panic inside Pebble), and the caller's Close does nothing.
	b.abandoned = true
	s.committers.run(func() {
		defer s.inflight.Add(-1)
		defer func() {
			if r := recover(); r != nil {
				s.health.fail("commit: " + describe(panicError(r)))
				for _, ch := range []chan error{applied, durable} {
					select {
					case ch <- s.health.err():
					default: // already answered
					}
				}
			}
		}()
		if err := s.db.ApplyNoSyncWait(b.Batch, pebble.Sync); err != nil {
			_ = b.Batch.Close() // Pebble keeps no failed batch for reuse
			applied <- err
			durable <- err
			return
		}
		applied <- nil
		err := b.SyncWait()
		_ = b.Batch.Close()
		durable <- err
	})
	if err := s.await(b, applied); err != nil {
		return nil, err
	}
	return func() error { return s.await(b, durable) }, nil
}

// await waits for the result of a step of b's commit, or for the store's
// failure, which abandons b.
func (s *Store) await(b *batch, step chan error) error {
	var err error
	select {
	case err = <-step:
	case <-s.health.done:
		b.abandoned = true
		return s.health.err()
	}
	if err != nil && !errors.Is(err, ErrFailed) {
		s.health.fail("commit: " + describe(err))
	}
	// A Fatalf inside the commit returns to Pebble, which may then report
	// success: the failure decides.
	if ferr := s.health.err(); ferr != nil {
		return ferr
	}
	return err
}

func panicError(r any) error {
	if err, ok := r.(error); ok {
		return err
	}
	return fmt.Errorf("%v", r)
}

// closeDB closes the database, giving up after timeout.
func (s *Store) closeDB(timeout time.Duration) error {
	s.committers.close()
	closed := make(chan error, 1)
	go func() {
		s.release.close() // may wait for a flush to start (releaseLargeBatch)
		closed <- s.db.Close()
	}()
	select {
	case err := <-closed:
		return errors.Join(err, s.health.err())
	case <-time.After(timeout):
		s.opts.Logger.Error("store close abandoned: Pebble did not close in time; the WAL holds every acknowledged write",
			"component", "store", "timeout", timeout.String())
		return errors.Join(ErrCloseAbandoned, s.health.err())
	}
}
