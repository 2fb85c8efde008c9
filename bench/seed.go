package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/wire"
)

// Seeding the history in process: the history claims are adjudicated by
// the same engine on the same store the server then opens, so they leave
// the same records, index entries, history, summaries and accumulator
// documents a server would write, without the gRPC round trip. Only the
// setup changes; every measured step still goes through the server.
//
// For the seeding only, the store's files ignore fsync (noSyncFS): a
// crash during setup would only spoil the setup. Once the store is
// closed, every file and directory of it is synced before the server
// starts, so the server begins from a durable store, and every claim it
// acknowledges in the measured steps is synced as always.

// seedOpen opens the store in dataDir without fsync and an engine on it,
// seeded from the bundle as the server seeds an empty store.
func seedOpen(ctx context.Context, dataDir, bundle string) (*adjudicator.Engine, *store.Store, error) {
	// Close waits for the compactions the seeding left in flight, which
	// on a busy machine takes far longer than a server's shutdown may.
	st, err := store.Open(store.Options{Dir: dataDir, FS: noSyncFS{vfs.Default}, CloseTimeout: time.Hour})
	if err != nil {
		return nil, nil, err
	}
	engine, err := seedEngine(ctx, st, bundle)
	if err != nil {
		return nil, nil, errors.Join(err, st.Close())
	}
	return engine, st, nil
}

// seedEngine writes the bundle into the empty store as configuration
// version 1 and starts an engine on it, as internal/server does for a
// fresh data directory (the server then imports the same bundle on top
// when it starts, which changes nothing).
func seedEngine(ctx context.Context, st *store.Store, bundle string) (*adjudicator.Engine, error) {
	cfg, err := config.Load(bundle)
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", bundle, err)
	}
	norm, err := adjudicator.New(cfg, adjudicator.Options{Store: st})
	if err != nil {
		return nil, err
	}
	full := norm.Configuration()
	base := *full
	base.Edits = nil
	fams, pas := adjudicator.SplitPriorAuths(cfg.Families)
	audit := &adjudicator.AuditEntry{Time: time.Now(), Subject: "bench", Source: "configuration",
		Method: "bench seed", Objects: []string{"configuration " + bundle}, Outcome: adjudicator.AuditOK}
	if err := st.SaveConfig(ctx, adjudicator.ConfigWrite{Base: &base, Versions: full.Edits, Families: fams, PriorAuths: pas, Audit: audit,
		Version: &adjudicator.ConfigVersion{Number: 1, At: time.Now().UTC(), Config: full}}); err != nil {
		return nil, fmt.Errorf("seeding the store: %w", err)
	}
	return adjudicator.New(cfg, adjudicator.Options{Store: st, Configs: st})
}

// seedClose closes the store and syncs every file of dataDir and the
// directories, so the seeded store is durable before a server opens it,
// and gives the seeding's memory back before the server starts.
func seedClose(st *store.Store, dataDir string) error {
	err := errors.Join(st.Close(), syncTree(dataDir))
	runtime.GC()
	debug.FreeOSMemory()
	return err
}

// settleCompactions waits until Pebble has no compaction running and has
// started none for settleQuiet, so the server starts on a store in the
// shape a long-running one has. Seeding writes far faster than a server
// does and leaves compactions owed (at 10M claims, minutes of them); a
// server that inherited them would spend its measured steps paying for
// the seeding, and its CPU per claim would fall round after round as the
// debt shrank.
func settleCompactions(ctx context.Context, st *store.Store) error {
	const settleQuiet, settleMax = 3 * time.Second, 30 * time.Minute
	last, quietSince, start := int64(-1), time.Now(), time.Now()
	for {
		if time.Since(start) > settleMax { // 10M claims settle in about a minute
			return fmt.Errorf("bench: the seeded store's compactions did not settle within %s", settleMax)
		}
		m := st.Metrics()
		switch count := m.Compact.Count + m.Compact.NumInProgress; {
		case count != last || m.Compact.NumInProgress > 0:
			last, quietSince = count, time.Now()
		case time.Since(quietSince) >= settleQuiet:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// syncTree fsyncs every file and directory under dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		return errors.Join(f.Sync(), f.Close())
	})
}

// engineSender sends ops to an engine in this process, as the server's
// ClaimsService does, without gRPC.
type engineSender struct{ e *adjudicator.Engine }

func (s engineSender) send(ctx context.Context, op *Op) outcome {
	var r *adjudicator.Response
	var err error
	switch {
	case op == nil:
		return outcome{status: "OK"}
	case op.Bill != nil:
		r, err = s.e.Bill(ctx, wire.ClaimFromProto(op.Bill.GetClaim()))
	case op.Rebill != nil:
		r, err = s.e.Rebill(ctx, wire.ClaimFromProto(op.Rebill.GetClaim()))
	case op.Reverse != nil:
		r, err = s.e.Reverse(ctx, wire.ReversalFromProto(op.Reverse.GetReversal()))
	}
	if err != nil {
		return outcome{errCode: engineErrCode(err)}
	}
	out := outcome{status: string(r.Status)}
	for _, c := range r.Rejects {
		out.rejects = append(out.rejects, string(c))
	}
	return out
}

// engineErrCode names an engine error by its class, as the server's
// status code would (the error's text may carry claim data).
func engineErrCode(err error) string {
	switch {
	case errors.Is(err, adjudicator.ErrInvalid), errors.Is(err, edits.ErrInvalid):
		return "InvalidArgument"
	case errors.Is(err, adjudicator.ErrNotFound):
		return "NotFound"
	case errors.Is(err, adjudicator.ErrBusy):
		return "ResourceExhausted"
	case errors.Is(err, adjudicator.ErrUnavailable):
		return "Unavailable"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "Canceled"
	}
	return "Internal"
}

// noSyncFS is the operating system's file system with fsync turned into
// a no-op: for seeding a store only (see seedClose).
type noSyncFS struct{ vfs.FS }

func (fs noSyncFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return noSync(fs.FS.Create(name, c))
}

func (fs noSyncFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return noSync(fs.FS.OpenReadWrite(name, c, opts...))
}

func (fs noSyncFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return noSync(fs.FS.ReuseForWrite(oldname, newname, c))
}

func (fs noSyncFS) OpenDir(name string) (vfs.File, error) { return noSync(fs.FS.OpenDir(name)) }

func (fs noSyncFS) Unwrap() vfs.FS { return fs.FS }

func noSync(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error                       { return nil }
func (noSyncFile) SyncData() error                   { return nil }
func (noSyncFile) SyncTo(length int64) (bool, error) { return true, nil }

// warmPageCache reads every file of the store in dir once, so that each
// case's server starts with its store in the operating system's page
// cache, as a server that has run a while on a machine with memory for
// its store has it. A store seeded in this run is cached already (just
// written); one copied from the seed cache may not be, and a curve would
// then compare a warm store with a cold one: on 2026-12-02 the 10M-claim
// store (5 GB) copied from the cache, 13 % of it cached, cost × 1.95 the
// CPU per claim of the 0-history case, against × 1.09 when freshly seeded.
func warmPageCache(dir string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		for {
			if _, err := f.Read(buf); err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("bench: warming the page cache: %w", err)
			}
		}
	})
}
