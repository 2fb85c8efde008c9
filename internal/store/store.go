// Package store keeps the engine's durable state in one Pebble database:
// families, claim records, the claim-key index, member claim histories,
// accumulator documents and the configuration, with LRU caches in front of
// the hot families and documents. It implements the storage contract of
// adjudicator/store.go and passes its suite (internal/store/storetest);
// every record is encoded by internal/store/records, which lists the one
// encoding of each kind.
//
// Every engine write is one batch committed with sync; caches are updated
// only after that commit returns, so a cache never runs ahead of the disk.
// The caches are correct whatever the callers lock: families by a
// generation counter, documents by their flight state (docflight.go).
package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// Options configure a Store. Zero values take the defaults.
type Options struct {
	Dir               string // required
	FamilyCacheSize   int    // families kept decoded in memory; default 100,000
	DocumentCacheSize int    // accumulator documents kept in memory; default 200,000
	// SummaryCacheBytes bounds the members' history summaries kept in
	// memory, in their stored encoding; default 64 MiB.
	SummaryCacheBytes int64
	// BlockCacheBytes is the Pebble block cache for the working set: the
	// cache is made this much larger than the memtables (memtableReserve)
	// that Pebble charges to it; default 512 MiB.
	BlockCacheBytes int64
	MemTableBytes   uint64 // Pebble memtable; default 64 MiB
	// WALMinSyncInterval spaces WAL syncs so that concurrent commits share
	// one fsync (group commit); default 250µs, negative disables. The
	// spacing adapts: it applies only while another commit is in flight
	// to share the sync with; a lone commit syncs at once (the timer that
	// spaces syncs wakes late, by up to a millisecond, which a commit
	// with nobody to wait for should not pay).
	WALMinSyncInterval time.Duration
	// ObserveCommit, when set, is called with the duration of every synced commit.
	ObserveCommit func(time.Duration)
	Logger        *slog.Logger
	// ReadOnly opens without writing anything (the WAL is replayed in
	// memory): what --verify needs, even on a full disk.
	ReadOnly bool
	// CloseTimeout bounds Close; default 10s (see health.go).
	CloseTimeout time.Duration
	// FS is the filesystem; default the operating system's. Tests inject
	// faults with it.
	FS vfs.FS
}

func (o *Options) withDefaults() (Options, error) {
	v := *o
	if v.Dir == "" {
		return v, errors.New("store: Options.Dir is required")
	}
	if v.FamilyCacheSize == 0 {
		v.FamilyCacheSize = 100_000
	}
	if v.DocumentCacheSize == 0 {
		v.DocumentCacheSize = 200_000
	}
	if v.SummaryCacheBytes == 0 {
		v.SummaryCacheBytes = 64 << 20
	}
	if v.BlockCacheBytes == 0 {
		v.BlockCacheBytes = 512 << 20
	}
	if v.MemTableBytes == 0 {
		v.MemTableBytes = 64 << 20
	}
	if v.WALMinSyncInterval == 0 {
		v.WALMinSyncInterval = 250 * time.Microsecond
	}
	if v.FamilyCacheSize < 0 || v.DocumentCacheSize < 0 || v.SummaryCacheBytes < 0 || v.BlockCacheBytes < 0 {
		return v, errors.New("store: cache sizes must not be negative")
	}
	if v.Logger == nil {
		v.Logger = slog.Default()
	}
	if v.CloseTimeout <= 0 {
		v.CloseTimeout = 10 * time.Second
	}
	return v, nil
}

// memtableReserve is how many memtables Pebble may charge to the block
// cache at once: the mutable one and one queued for flush (its
// MemTableStopWritesThreshold, 2), and a recycled one. Without adding them
// to the cache's size, a cache of 128 MiB with 64 MiB memtables keeps no
// blocks at all.
const memtableReserve = 3

// Store implements adjudicator.Store over Pebble.
type Store struct {
	db       *pebble.DB
	opts     Options
	families *lru.Cache[string, *domain.Family]
	// docs holds accumulator documents as their stored encoding, not
	// decoded: one pointer-free byte slice per entry where a decoded
	// document is a tree of entries and big integers, which the garbage
	// collector would mark on every cycle (a cache of 200,000 documents
	// holds millions of pointers). A hit decodes, which gives the caller
	// its own copy as the clone of a decoded value did.
	docs *lru.Cache[string, []byte]
	// famMu and famGen keep a family read that raced a family write from
	// caching the old value: a write bumps famGen and evicts under famMu; a
	// read caches under famMu only if famGen has not moved since it read disk.
	famMu  sync.Mutex
	famGen uint64
	// docFlight keeps the document cache from serving a document older
	// than the stored one without relying on any lock of the caller's; see
	// docflight.go.
	docFlight docFlight
	// sums holds members' history summaries, as stored, kept by sumFlight
	// as docFlight keeps docs (history.go).
	sums      *byteCache
	sumFlight docFlight

	stats  [3]cacheCounters
	health *health
	// priorAuthFamilies holds the cardholder IDs with prior authorization
	// records (loaded at open, added to after each write), so a claim of a
	// family without any reads none from disk (priorauth.go).
	priorAuthFamilies sync.Map
	// retroMu serializes retro job creations (CreateRetroJob).
	retroMu sync.Mutex
	// paddedKeys: the key index holds keys written before Rx numbers were
	// canonical (scanPaddedKeys).
	paddedKeys bool
	// audit serializes appends to the audit trail (audit.go).
	audit auditChain
	// summaryLocks serialize the updates of a member's history summary;
	// summariesDone: every member with a history has one (history.go).
	summaryLocks  summaryLocks
	summariesDone bool
	// inflight counts the commits applied and not yet durable, which the
	// WAL sync spacing adapts to.
	inflight *atomic.Int64
	// committers run the commits (committers.go).
	committers *committers
	// release guards releaseLargeBatch's calls into Pebble against Close,
	// after which Pebble panics (health.go).
	release releaseGuard
	// releasing counts the releaseLargeBatch goroutines running.
	releasing sync.WaitGroup
}

type cacheCounters struct{ hits, misses atomic.Uint64 }

// Open opens (creating if needed) the store in opts.Dir.
func Open(o Options) (*Store, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.BlockCacheBytes + memtableReserve*int64(opts.MemTableBytes))
	defer cache.Unref()
	h := newHealth(opts.Logger)
	po := &pebble.Options{
		Cache:         cache,
		MemTableSize:  opts.MemTableBytes,
		Logger:        pebbleLogger{h},
		EventListener: h.eventListener(),
		FS:            opts.FS,
		ReadOnly:      opts.ReadOnly,
	}
	po.WithFSDefaults()
	inflight := new(atomic.Int64)
	if opts.WALMinSyncInterval > 0 {
		po.WALMinSyncInterval = func() time.Duration {
			if inflight.Load() < 2 {
				return 0
			}
			return opts.WALMinSyncInterval
		}
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := openDB(opts.Dir, po, h)
	if errors.Is(err, syscall.EWOULDBLOCK) { // another process holds the store's LOCK
		return nil, fmt.Errorf("store: %s is %w (stop the server first, or back it up through the server): %w", opts.Dir, ErrInUse, err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", opts.Dir, err)
	}
	s := &Store{db: db, opts: opts, health: h, inflight: inflight, committers: newCommitters()}
	s.families, _ = lru.New[string, *domain.Family](max(opts.FamilyCacheSize, 1))
	s.docs, _ = lru.New[string, []byte](max(opts.DocumentCacheSize, 1))
	s.docFlight.keys = map[string]docKeyFlight{}
	s.sums = newByteCache(opts.SummaryCacheBytes)
	s.sumFlight.keys = map[string]docKeyFlight{}
	s.summaryLocks.seed = maphash.MakeSeed()
	if s.paddedKeys, err = s.scanPaddedKeys(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadAuditHead(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadPriorAuthFamilies(); err != nil {
		db.Close()
		return nil, err
	}
	if s.summariesDone, err = s.buildSummaries(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// scanPaddedKeys reports whether the claim key index holds a key whose Rx
// number has a leading zero: one written before Rx numbers were canonical.
// Keys written since never do, so the answer holds while the store is open.
// It reads keys only, once, at open.
func (s *Store) scanPaddedKeys() (bool, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: indexPrefix, UpperBound: []byte("k\x01")})
	if err != nil {
		return false, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		_, rest, _ := bytes.Cut(it.Key()[len(indexPrefix):], []byte{0}) // skip the pharmacy NPI
		if len(rest) > 1 && rest[0] == '0' && rest[1] != 0 {
			return true, nil
		}
	}
	return false, it.Error()
}

// HasZeroPaddedKeys implements adjudicator.PaddedKeyReporter.
func (s *Store) HasZeroPaddedKeys() bool { return s.paddedKeys }

// Close closes the database, giving up after Options.CloseTimeout
// (ErrCloseAbandoned); it returns the storage failure, if any.
func (s *Store) Close() error { return s.closeDB(s.opts.CloseTimeout) }

// Keys. Each kind of record has a one-byte prefix and a zero separator.
func familyKey(cardholderID string) []byte { return append([]byte("f\x00"), cardholderID...) }
func claimKey(id string) []byte            { return append([]byte("c\x00"), id...) }
func traceKey(id string) []byte            { return append([]byte("T\x00"), id...) }
func indexKey(k adjudicator.ClaimKey) []byte {
	b := make([]byte, 0, 48)
	b = append(append(append(b, "k\x00"...), k.PharmacyNPI...), 0)
	b = append(append(b, k.RxNumber...), 0)
	b = append(strconv.AppendInt(b, int64(k.FillNumber), 10), 0)
	return append(b, k.DateOfService...)
}
func docKey(scope accumulators.Scope, id string, period domain.Date) string {
	var buf [64]byte // one allocation, the string's, for the usual ID
	b := append(buf[:0], 'a', 0, '0'+byte(scope))
	b = append(period.Append(b), 0)
	return string(append(b, id...))
}

var (
	indexPrefix = []byte("k\x00")
	claimPrefix = []byte("c\x00")
	tracePrefix = []byte("T\x00")
	docPrefix   = []byte("a\x00")
)

// get returns a copy of the stored value of key; nil if absent.
func (s *Store) get(key []byte) (out []byte, err error) {
	_, err = s.view(key, func(v []byte) error {
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// view calls fn with the stored value of key, which is valid only during
// the call (Pebble's own buffer: fn must copy what it keeps); absent, it
// reports false and does not call fn. Values decoded at once are read
// with it directly, saving get's copy.
func (s *Store) view(key []byte, fn func(v []byte) error) (found bool, err error) {
	if err := s.health.err(); err != nil {
		return false, err
	}
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	err = fn(v)
	if cerr := closer.Close(); err == nil {
		err = cerr
	}
	return true, err
}

// Family returns the family with the cardholder ID, or nil.
func (s *Store) Family(_ context.Context, cardholderID string) (*domain.Family, error) {
	if f, ok := s.families.Get(cardholderID); ok {
		s.stats[cacheFamilies].hits.Add(1)
		return f, nil
	}
	s.stats[cacheFamilies].misses.Add(1)
	s.famMu.Lock()
	gen := s.famGen
	s.famMu.Unlock()
	v, err := s.get(familyKey(cardholderID))
	if err != nil || v == nil {
		return nil, err
	}
	f, err := records.DecodeFamily(v)
	if err != nil {
		return nil, fmt.Errorf("store: family record: %w", err)
	}
	s.famMu.Lock()
	if s.famGen == gen {
		s.families.Add(cardholderID, f)
	}
	s.famMu.Unlock()
	return f, nil
}

// PutFamilies writes families durably, replacing any with the same
// cardholder ID, with audit (when not nil) appended in the same batch;
// each is also kept as the family's version at (FamilyAsOf).
func (s *Store) PutFamilies(_ context.Context, at string, fams []domain.Family, audit *adjudicator.AuditEntry) error {
	b := s.newBatch()
	defer b.Close()
	if err := s.setFamilies(b.Batch, at, fams); err != nil {
		return err
	}
	if err := s.commitAudited(b, audit); err != nil {
		return fmt.Errorf("store: write families: %w", err)
	}
	s.forgetFamilies(fams)
	return nil
}

// setFamilies adds the families, and each as its version at, to b,
// leaving out each family stored exactly so already: a server restarted on
// the same bundle of a million families, or an enrollment sync that sends
// families again unchanged, then writes nothing for them and makes no
// version a claim could not tell from the one before. The callers hold the
// families' locks (adjudicator), so the stored value cannot change between
// this read and the commit. A family named twice in one write (an
// enrollment sync that sends a family and cancels it) ends as the last, as
// before: one already written earlier in the batch is written again even
// when the last is the stored family, which the read cannot see.
func (s *Store) setFamilies(b *pebble.Batch, at string, fams []domain.Family) error {
	var written map[string]struct{} // the families set in b so far
	for i := range fams {
		v, err := records.EncodeFamily(&fams[i])
		if err != nil {
			return err
		}
		same := false
		if _, err := s.view(familyKey(fams[i].CardholderID), func(cur []byte) error {
			same = bytes.Equal(cur, v)
			return nil
		}); err != nil {
			return err
		}
		if _, again := written[fams[i].CardholderID]; same && !again {
			continue
		}
		if written == nil {
			written = make(map[string]struct{})
		}
		written[fams[i].CardholderID] = struct{}{}
		if err := b.Set(familyKey(fams[i].CardholderID), v, nil); err != nil {
			return err
		}
		if err := b.Set(familyVersionKey(fams[i].CardholderID, at), v, nil); err != nil {
			return err
		}
	}
	return nil
}

// familyVersionKey is "F\x00<cardholder ID>\x00<at>": a family's versions in
// claim ID order. A removal's version has an empty value.
func familyVersionKey(cardholderID, at string) []byte {
	return append(append(append([]byte("F\x00"), cardholderID...), 0), at...)
}

// FamilyAsOf implements adjudicator.FamilyVersions.
func (s *Store) FamilyAsOf(_ context.Context, cardholderID, at string) (*domain.Family, bool, error) {
	if err := s.health.err(); err != nil {
		return nil, false, err
	}
	lower := familyVersionKey(cardholderID, "")
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: familyVersionKey(cardholderID, at)})
	if err != nil {
		return nil, false, err
	}
	var v []byte
	found := it.Last()
	if found {
		v = slices.Clone(it.Value())
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, false, err
	}
	if !found || len(v) == 0 {
		return nil, found, nil
	}
	f, err := records.DecodeFamily(v)
	if err != nil {
		return nil, false, fmt.Errorf("store: family version: %w", err)
	}
	return f, true, nil
}

// FamilyVersionsOf implements adjudicator.FamilyVersionLister.
func (s *Store) FamilyVersionsOf(_ context.Context, cardholderID string) ([]adjudicator.FamilyVersion, error) {
	if err := s.health.err(); err != nil {
		return nil, err
	}
	prefix := familyVersionKey(cardholderID, "")
	upper := append(slices.Clone(prefix[:len(prefix)-1]), 1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []adjudicator.FamilyVersion
	for it.First(); it.Valid(); it.Next() {
		v := adjudicator.FamilyVersion{At: string(it.Key()[len(prefix):])}
		if len(it.Value()) > 0 {
			if v.Family, err = records.DecodeFamily(it.Value()); err != nil {
				return nil, fmt.Errorf("store: family version: %w", err)
			}
		}
		out = append(out, v)
	}
	return out, it.Error()
}

// forgetFamilies drops written families from the cache, once durable.
func (s *Store) forgetFamilies(fams []domain.Family) {
	s.famMu.Lock()
	s.famGen++
	for i := range fams {
		s.families.Remove(fams[i].CardholderID)
	}
	s.famMu.Unlock()
}

// RemoveFamily deletes a family durably, with audit (when not nil)
// appended in the same batch; an absent family is a no-op that writes
// nothing. It is refused with adjudicator.ErrFamilyHasClaims, changing
// nothing, when a member of the family has a paid claim in its history (a
// reversed claim leaves the history).
func (s *Store) RemoveFamily(_ context.Context, cardholderID, at string, audit *adjudicator.AuditEntry) error {
	p := familyHistoryPrefix(cardholderID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: append(p[:len(p)-1:len(p)-1], 1)})
	if err != nil {
		return err
	}
	paid := it.First()
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	if paid {
		return adjudicator.ErrFamilyHasClaims
	}
	if v, err := s.get(familyKey(cardholderID)); err != nil || v == nil {
		return err
	}
	b := s.newBatch()
	defer b.Close()
	if err := b.Delete(familyKey(cardholderID), nil); err != nil {
		return err
	}
	if err := b.Set(familyVersionKey(cardholderID, at), nil, nil); err != nil {
		return err
	}
	if err := s.commitAudited(b, audit); err != nil {
		return fmt.Errorf("store: remove family: %w", err)
	}
	s.famMu.Lock()
	s.famGen++
	s.families.Remove(cardholderID)
	s.famMu.Unlock()
	return nil
}

// ClaimByKey returns the latest claim billed under key, or nil.
func (s *Store) ClaimByKey(_ context.Context, key adjudicator.ClaimKey) (*adjudicator.ClaimRecord, error) {
	id, err := s.get(indexKey(key))
	if err != nil || id == nil {
		return nil, err
	}
	return s.Claim(string(id))
}

// Claim returns the claim record with the ID, or nil, with its trace.
//
// A record is stored under its claim key without its response's trace,
// which has a key of its own (records.EncodeClaimApart), so that reads
// without the trace (ClaimsWithoutTrace) read a third of the bytes and
// keep three times as many records in a cache block. A record written
// before keeps its trace inline and has no trace key; it is moved apart
// when it is next written (its reversal).
func (s *Store) Claim(id string) (*adjudicator.ClaimRecord, error) {
	var rec *adjudicator.ClaimRecord
	found, err := s.view(claimKey(id), func(v []byte) (err error) {
		rec, err = records.DecodeClaim(v) // copies what it keeps
		if err != nil {
			return fmt.Errorf("store: claim record %s: %w", id, err)
		}
		return nil
	})
	if err != nil || !found {
		return nil, err
	}
	if _, err := s.view(traceKey(id), func(v []byte) error { return records.AttachTrace(rec, v) }); err != nil {
		return nil, fmt.Errorf("store: claim trace %s: %w", id, err)
	}
	return rec, nil
}

// Accumulators returns the caller's own copy of a document, decoded from
// the cache's encoding or the disk's. A document read from disk is cached
// only if no commit of it ran meanwhile (see docflight.go), so the cache
// never holds a value older than the disk's.
func (s *Store) Accumulators(_ context.Context, scope accumulators.Scope, id string, period domain.Date) (*accumulators.Doc, error) {
	k := docKey(scope, id, period)
	if v, ok := s.docs.Get(k); ok {
		s.stats[cacheDocuments].hits.Add(1)
		return decodeDocument(v, scope, period)
	}
	s.stats[cacheDocuments].misses.Add(1)
	epoch := s.docFlight.beginRead(k)
	v, err := s.get([]byte(k))
	if err != nil {
		s.docFlight.endRead(k, epoch, nil)
		return nil, err
	}
	d, err := decodeDocument(v, scope, period)
	if err != nil {
		s.docFlight.endRead(k, epoch, nil)
		return nil, err
	}
	s.docFlight.endRead(k, epoch, func() { s.docs.Add(k, v) })
	return d, nil
}

// decodeDocument decodes a stored document; nil (absent) is the empty one.
func decodeDocument(v []byte, scope accumulators.Scope, period domain.Date) (*accumulators.Doc, error) {
	if v == nil {
		return &accumulators.Doc{}, nil
	}
	d, err := records.DecodeDocument(v)
	if err != nil {
		return nil, fmt.Errorf("store: %s document for period %s: %w", scope, period, err)
	}
	return d, nil
}

// Commit writes the claim records, index entry, history, documents and
// audit entry (if any) in one synced batch: Apply, then its wait.
func (s *Store) Commit(ctx context.Context, c *adjudicator.Commit) error {
	wait, err := s.Apply(ctx, c)
	if err != nil {
		return err
	}
	return wait()
}

// Apply implements adjudicator.Applier: it writes c as Commit does, but
// returns once the batch is applied (visible to every read) and before it
// is durable; wait returns once it is durable, or with the store's
// failure. Its documents leave the cache while it runs and are published
// to it by wait once the batch is durable (unless another commit wrote
// one at the same time: which of the two is on disk is not known here),
// so the cache never runs ahead of what will survive a crash.
func (s *Store) Apply(_ context.Context, c *adjudicator.Commit) (wait func() error, err error) {
	b := s.newBatch()
	owned := true // until finish below takes it
	defer func() {
		if owned {
			b.Close()
		}
	}()
	if err := writeClaims(b.Batch, c); err != nil {
		return nil, err
	}
	// The documents encoded now, while they are the caller's to change;
	// the encodings are what the cache keeps once the batch is durable.
	keys := make([]string, len(c.Docs))
	docs := make([][]byte, len(c.Docs))
	for i, d := range c.Docs {
		keys[i] = docKey(d.Scope, d.ID, d.Period)
		docs[i] = records.EncodeDocument(d.Doc)
		if err := b.Set([]byte(keys[i]), docs[i], nil); err != nil {
			return nil, err
		}
	}
	changes := historyChanges(c)
	members := make([]member, len(changes))
	for i, ch := range changes {
		members[i] = ch.member
	}
	unlock := s.summaryLocks.lock(members)
	sumKeys, sums, err := s.writeSummaries(b.Batch, changes)
	if err != nil {
		unlock()
		return nil, err
	}
	done, err := s.stageAudit(b.Batch, c.Audit)
	if err != nil {
		unlock()
		return nil, err
	}
	s.docFlight.beginCommit(keys, func(k string) { s.docs.Remove(k) })
	endSummaries := s.beginSummaries(sumKeys, sums)
	start := time.Now()
	owned = false
	synced, err := s.applyBatch(b)
	unlock()
	finish := func(err error) error {
		done(err)
		endSummaries(err)
		if err == nil && s.opts.ObserveCommit != nil {
			s.opts.ObserveCommit(time.Since(start))
		}
		s.docFlight.endCommit(keys, func(i int, contended bool) {
			switch {
			case err != nil:
			case contended:
				s.docs.Remove(keys[i])
			default:
				s.docs.Add(keys[i], docs[i])
			}
		})
		b.Close()
		if err != nil {
			return fmt.Errorf("store: commit: %w", err)
		}
		return nil
	}
	if err != nil {
		return nil, finish(err)
	}
	return func() error { return finish(synced()) }, nil
}

// writeClaims adds c's claim records, key index entry, history changes
// and retro progress record to b.
func writeClaims(b *pebble.Batch, c *adjudicator.Commit) error {
	for _, r := range c.Records {
		v, trace, err := records.EncodeClaimApart(r)
		if err != nil {
			return fmt.Errorf("store: encode claim %s: %w", r.ID, err)
		}
		if err := b.Set(claimKey(r.ID), v, nil); err != nil {
			return err
		}
		// A record's trace never changes once answered: a record written
		// again (its reversal) carries the same one, read back by Claim.
		// So a record without one leaves the key as it is.
		if trace != nil {
			if err := b.Set(traceKey(r.ID), trace, nil); err != nil {
				return err
			}
		}
	}
	if c.Index != nil {
		if err := b.Set(indexKey(c.Index.Key), []byte(c.Index.ID), nil); err != nil {
			return err
		}
	}
	if err := writeHistory(b, c); err != nil {
		return err
	}
	return setRetroProgress(b, c.Retro)
}

// ForEachClaim calls fn for every stored claim record, in ID order, with
// its trace: the records and the traces are read side by side, both in
// ID order.
func (s *Store) ForEachClaim(fn func(*adjudicator.ClaimRecord) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: claimPrefix, UpperBound: []byte("c\x01")})
	if err != nil {
		return err
	}
	defer it.Close()
	traces, err := s.db.NewIter(&pebble.IterOptions{LowerBound: tracePrefix, UpperBound: []byte("T\x01")})
	if err != nil {
		return err
	}
	defer traces.Close()
	traces.First()
	for it.First(); it.Valid(); it.Next() {
		rec, err := records.DecodeClaim(it.Value())
		if err != nil {
			return fmt.Errorf("store: claim record %q: %w", it.Key(), err)
		}
		id := it.Key()[len(claimPrefix):]
		for traces.Valid() && bytes.Compare(traces.Key()[len(tracePrefix):], id) < 0 {
			traces.Next() // a trace without its record: none is written so
		}
		if traces.Valid() && bytes.Equal(traces.Key()[len(tracePrefix):], id) {
			if err := records.AttachTrace(rec, traces.Value()); err != nil {
				return fmt.Errorf("store: claim trace %q: %w", it.Key(), err)
			}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := traces.Error(); err != nil {
		return err
	}
	return it.Error()
}

// StoredDocument is one accumulator document as stored.
type StoredDocument struct {
	Scope  accumulators.Scope
	ID     string
	Period domain.Date
	Doc    *accumulators.Doc
}

// ForEachDocument calls fn for every stored accumulator document.
func (s *Store) ForEachDocument(fn func(StoredDocument) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: docPrefix, UpperBound: []byte("a\x01")})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k := string(it.Key()[len(docPrefix):]) // scope digit, period, 0, id
		if len(k) < 12 || k[11] != 0 {
			return errors.New("store: malformed accumulator document key")
		}
		period, err := domain.ParseDate(k[1:11])
		if err != nil {
			return fmt.Errorf("store: accumulator document key: %w", err)
		}
		d, err := records.DecodeDocument(it.Value())
		if err != nil {
			return fmt.Errorf("store: accumulator document for period %s: %w", period, err)
		}
		if err := fn(StoredDocument{Scope: accumulators.Scope(k[0] - '0'), ID: k[12:], Period: period, Doc: d}); err != nil {
			return err
		}
	}
	return it.Error()
}

// Cache names for CacheStats.
const (
	cacheFamilies = iota
	cacheDocuments
	cacheSummaries
)

// BlockCacheName is the CacheStats name of Pebble's block cache.
const BlockCacheName = "blocks"

// CacheStats are the figures of one cache.
type CacheStats struct {
	Name         string
	Hits, Misses uint64
	Entries      int
}

// CacheStats reports the families, accumulator-document and summary caches, and
// Pebble's block cache (its entries are blocks).
func (s *Store) CacheStats() []CacheStats {
	bc := s.Metrics().BlockCache
	sums, _ := s.sums.size()
	return []CacheStats{
		{Name: "families", Hits: s.stats[cacheFamilies].hits.Load(), Misses: s.stats[cacheFamilies].misses.Load(), Entries: s.families.Len()},
		{Name: "accumulators", Hits: s.stats[cacheDocuments].hits.Load(), Misses: s.stats[cacheDocuments].misses.Load(), Entries: s.docs.Len()},
		{Name: "summaries", Hits: s.stats[cacheSummaries].hits.Load(), Misses: s.stats[cacheSummaries].misses.Load(), Entries: sums},
		{Name: BlockCacheName, Hits: uint64(bc.Hits), Misses: uint64(bc.Misses), Entries: int(bc.Count)},
	}
}

// Metrics returns Pebble's own metrics; empty once the store has failed,
// when Pebble may hold its lock in a retry loop.
func (s *Store) Metrics() *pebble.Metrics {
	if s.health.failed.Load() {
		return &pebble.Metrics{}
	}
	return s.db.Metrics()
}
