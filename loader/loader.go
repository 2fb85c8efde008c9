// Package loader is the sidecar that takes group intake files (family
// records), drug, pharmacy and network files, stages them (checksum, schema,
// business rules), applies them to its own Pebble state with an activity
// journal that can be rewound, and syncs the result to the adjudicator
// through a Sink, idempotently and resumably, from a durable outbox.
//
// This package is the orchestration (intake, apply and rewind, the policy
// workflow, sync, progress, metrics); loader/parse holds the pure parsers
// and loader/state the Pebble keyspace and storage primitives.
package loader

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// Options configure a Loader. Zero values take the defaults.
type Options struct {
	// Dir holds the loader's state/ (Pebble), inbox/, staging/, archive/
	// and rejected/ directories; required.
	Dir string
	// Inbox is the directory watched for files; default Dir/inbox.
	Inbox    string
	Profiles *parse.Profiles // group intake profiles; required for family files
	Sink     Sink            // where changes are synced; nil keeps them in the outbox
	Now      func() time.Time
	Logger   *slog.Logger
	// Registerer receives the loader's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Progress reports processing progress; nil reports none.
	Progress Progress
	// ChunkSize is the number of records committed together; default 1000.
	ChunkSize int
	// PollInterval spaces inbox scans in Run; default 2s.
	PollInterval time.Duration
	// LoadingTimeout rejects a file whose records stop arriving (a file
	// cut short, or its sender died) after that long without a new one,
	// and a file whose header line does not arrive in that time; default
	// an hour.
	LoadingTimeout time.Duration
	// MaxFailedPercent rejects a whole file when more than this share of its
	// records fail validation; default 50. 100 never rejects for bad records.
	MaxFailedPercent int
	// NoSync commits chunks without fsync (benchmarks only): a crash may
	// lose the last chunks.
	NoSync bool
	// randN, when set, replaces the random source of the sync retry's
	// jitter (tests).
	randN func(n int64) int64
	// failAfterChunks, when > 0, makes processing stop with errCrash after
	// that many chunk commits: tests use it to stop mid-file.
	failAfterChunks int
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("loader: Options.Dir is required")
	}
	if o.Inbox == "" {
		o.Inbox = filepath.Join(o.Dir, "inbox")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = 1000
	}
	if o.PollInterval == 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.LoadingTimeout == 0 {
		o.LoadingTimeout = time.Hour
	}
	if o.LoadingTimeout < 0 {
		return o, errors.New("loader: LoadingTimeout must be positive")
	}
	if o.MaxFailedPercent == 0 {
		o.MaxFailedPercent = 50
	}
	if o.ChunkSize < 1 || o.MaxFailedPercent < 0 || o.MaxFailedPercent > 100 || o.PollInterval < 0 {
		return o, errors.New("loader: ChunkSize must be positive and MaxFailedPercent 0 to 100")
	}
	if o.Profiles == nil {
		o.Profiles = &parse.Profiles{}
	}
	return o, nil
}

// Loader is the sidecar's state and work.
type Loader struct {
	opts    Options
	db      *pebble.DB
	log     *slog.Logger
	metrics *metrics
	dirs    dirs

	mu     sync.Mutex // serializes file work and rewinds (the outbox writers)
	outSeq uint64     // last outbox seq written, under mu

	syncMu sync.Mutex // serializes syncs
	kick   chan struct{}

	scanMu    sync.Mutex           // serializes inbox scans
	inboxSeen map[string]inboxSeen // under scanMu: files the last scan could not register
}

type dirs struct{ inbox, staging, archive, rejected string }

var errCrash = errors.New("loader: simulated crash")

// ErrLocked is Open's error when another loader process holds the data
// directory's state.
var ErrLocked = errors.New("another loader is running on this data dir")

// Open opens (creating if needed) the loader's state and directories.
func Open(o Options) (*Loader, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	d := dirs{
		inbox:    opts.Inbox,
		staging:  filepath.Join(opts.Dir, "staging"),
		archive:  filepath.Join(opts.Dir, "archive"),
		rejected: filepath.Join(opts.Dir, "rejected"),
	}
	for _, p := range []string{d.inbox, d.staging, d.archive, d.rejected} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("loader: %w", err)
		}
	}
	cache := pebble.NewCache(256 << 20)
	defer cache.Unref()
	po := &pebble.Options{Logger: quietLogger{opts.Logger}, Cache: cache, MemTableSize: 64 << 20}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(filepath.Join(opts.Dir, "state"), po)
	if isLockHeld(err) {
		return nil, fmt.Errorf("%w: %s (stop it, or run this command in its place)", ErrLocked, opts.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("loader: open state: %w", err)
	}
	l := &Loader{opts: opts, db: db, log: opts.Logger, dirs: d, kick: make(chan struct{}, 1)}
	if l.outSeq, err = state.OutboxWritten(db); err != nil {
		db.Close()
		return nil, err
	}
	l.metrics = newMetrics(opts.Registerer, l)
	return l, nil
}

// isLockHeld reports whether Pebble could not open because another process
// (EWOULDBLOCK from flock) or this one holds the state's lock.
func isLockHeld(err error) bool {
	return err != nil && (errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) ||
		strings.Contains(err.Error(), "lock held by current process"))
}

// Inbox is the directory the loader watches for files.
func (l *Loader) Inbox() string { return l.dirs.inbox }

// Close closes the state.
func (l *Loader) Close() error { return l.db.Close() }

func (l *Loader) today() domain.Date { return domain.DateOf(l.opts.Now().UTC()) }

func (l *Loader) writeOpts() *pebble.WriteOptions {
	if l.opts.NoSync {
		return pebble.NoSync
	}
	return pebble.Sync
}

// File returns the status of group/seq, or nil.
func (l *Loader) File(group string, seq uint64) (*FileStatus, error) {
	var f FileStatus
	ok, err := state.GetJSON(l.db, state.FileKey(group, seq), &f)
	if !ok {
		return nil, err
	}
	return &f, nil
}

// Files lists the files of a group ("" for every group), oldest first.
func (l *Loader) Files(group string) ([]FileStatus, error) {
	prefix := "f" + state.Sep
	if group != "" {
		prefix += group + state.Sep
	}
	var out []FileStatus
	err := state.Scan(l.db, prefix, false, func(_, v []byte) error {
		var f FileStatus
		if err := json.Unmarshal(v, &f); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	return out, err
}

// RecordErrors returns up to limit bad-record reasons of a file, by line.
func (l *Loader) RecordErrors(group string, seq uint64, limit int) ([]BadRecord, error) {
	var out []BadRecord
	prefix := state.FileScoped("e", group, seq)
	err := state.Scan(l.db, prefix, false, func(k, v []byte) error {
		if limit > 0 && len(out) >= limit {
			return state.ErrStop
		}
		out = append(out, BadRecord{Line: int(state.ReadU64(k[len(prefix) : len(prefix)+8])), Reason: string(v)})
		return nil
	})
	if errors.Is(err, state.ErrStop) {
		err = nil
	}
	return out, err
}

// BadRecord is a record that failed, and why.
type BadRecord struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Locked reports the file a rewind of group is undoing, if any.
func (l *Loader) Locked(group string) (uint64, bool, error) {
	v, err := state.Get(l.db, state.LockKey(group))
	if err != nil || v == nil {
		return 0, false, err
	}
	return state.ReadU64(v), true, nil
}

// nextFileSeq allocates the group's next file sequence in b.
func (l *Loader) nextFileSeq(b *pebble.Batch, group string) (uint64, error) {
	v, err := state.Get(b, state.FileSeqKey(group))
	if err != nil {
		return 0, err
	}
	seq := state.ReadU64(v) + 1
	return seq, b.Set(state.FileSeqKey(group), []byte(state.U64(seq)), nil)
}

type quietLogger struct{ log *slog.Logger }

func (q quietLogger) Infof(format string, args ...any) {
	q.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}
func (q quietLogger) Errorf(format string, args ...any) {
	q.log.Error("pebble: " + fmt.Sprintf(format, args...))
}
func (q quietLogger) Fatalf(format string, args ...any) {
	q.log.Error("pebble: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}

// notify wakes the syncer.
func (l *Loader) notify() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}
