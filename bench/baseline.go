package bench

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// The physical limits the service is measured against, in the same run:
// the claim's storage transaction alone in Pebble, with no gRPC, engine,
// encoding or caches, and a bare synced commit of its writes. The store
// is opened the way internal/store opens its own (128 MiB block cache,
// 64 MiB memtables, bloom filters, the file-system defaults), on the same
// disk as the service's store (under --out).
//
// Sizes of what one claim reads and writes (internal/store's records, a
// little larger than the golden ones, whose traces are short).
const (
	bareDocsPerClaim = 5     // accumulator documents read and written
	bareRecordBytes  = 1_024 // the claim record
	bareIndexBytes   = 48    // the claim-key index entry
	bareHistoryBytes = 300   // the member's history entry
	bareDocBytes     = 160   // one accumulator document
)

// bareStore is a Pebble store holding accumulator documents for members.
type bareStore struct {
	dir     string
	db      *pebble.DB
	members int
}

// openBareStore creates a Pebble store under dir and writes bareDocsPerClaim
// accumulator documents for each of members members, flushed to SSTs so
// reads go through the block cache as the service's do.
func openBareStore(dir string, members int) (*bareStore, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(128 << 20)
	defer cache.Unref()
	po := &pebble.Options{Cache: cache, MemTableSize: 64 << 20, Logger: quietPebble{}}
	po.WithFSDefaults()
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("bench: bare Pebble store: %w", err)
	}
	s := &bareStore{dir: dir, db: db, members: max(members, 1)}
	doc := make([]byte, bareDocBytes)
	b := db.NewBatch()
	for m := range s.members {
		for d := range bareDocsPerClaim {
			_ = b.Set(docKey(m, d), doc, nil)
		}
		if b.Len() > 4<<20 {
			if err := b.Commit(pebble.NoSync); err != nil {
				s.close()
				return nil, err
			}
			b = db.NewBatch()
		}
	}
	if err := b.Commit(pebble.Sync); err == nil {
		err = db.Flush()
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// close closes the store and removes it.
func (s *bareStore) close() error {
	err := s.db.Close()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}

func docKey(member, doc int) []byte {
	k := make([]byte, 0, 16)
	k = append(k, 'd', '/')
	k = binary.BigEndian.AppendUint64(k, uint64(member))
	return append(k, byte(doc))
}

// bareTxn sends the claim's storage transaction as one call: read the
// claim key (absent: a new claim) and a member's five accumulator
// documents, then commit the record, index, history and five documents in
// one synced batch. writeOnly skips the reads: a bare synced commit.
type bareTxn struct {
	s         *bareStore
	writeOnly bool
}

func (t bareTxn) send(ctx context.Context, _ *Op) outcome {
	db := t.s.db
	claim := make([]byte, 26)
	claim[0], claim[1] = 'c', '/'
	_, _ = rand.Read(claim[2:])
	member := mrand.IntN(t.s.members)
	if !t.writeOnly {
		if _, closer, err := db.Get(claim); err == nil {
			closer.Close()
		} else if !errors.Is(err, pebble.ErrNotFound) {
			return outcome{errCode: "Internal"}
		}
		for d := range bareDocsPerClaim {
			_, closer, err := db.Get(docKey(member, d))
			if err != nil {
				return outcome{errCode: "Internal"}
			}
			closer.Close()
		}
	}
	b := db.NewBatch()
	defer b.Close()
	_ = b.Set(claim, make([]byte, bareRecordBytes), nil)
	_ = b.Set(append([]byte("i/"), claim[2:]...), make([]byte, bareIndexBytes), nil)
	_ = b.Set(append(append([]byte("h/"), docKey(member, 0)[2:10]...), claim[2:]...), make([]byte, bareHistoryBytes), nil)
	doc := make([]byte, bareDocBytes)
	for d := range bareDocsPerClaim {
		_ = b.Set(docKey(member, d), doc, nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return outcome{errCode: "Internal"}
	}
	return outcome{status: "OK"}
}

// txn measures the bare transaction closed loop at concurrency c for d,
// with this process's CPU per transaction (the bench's gRPC client is idle
// meanwhile; the server's process is not counted).
func (s *bareStore) txn(ctx context.Context, c int, d time.Duration) StepResult {
	before := ownCPUSeconds()
	r := closedLoop(ctx, bareTxn{s: s}, emptySource{}, c, d, 0, nil)
	if r.Calls > 0 {
		r.CPUSecondsPerCall = (ownCPUSeconds() - before) / float64(r.Calls)
	}
	return r
}

// commit measures bare synced commits of the claim's writes, open loop at rate for d.
func (s *bareStore) commit(ctx context.Context, rate float64, d time.Duration, maxInFlight int) StepResult {
	before := ownCPUSeconds()
	r := openLoop(ctx, bareTxn{s: s, writeOnly: true}, emptySource{}, rate, d, maxInFlight)
	if r.Calls > 0 {
		r.CPUSecondsPerCall = (ownCPUSeconds() - before) / float64(r.Calls)
	}
	return r
}

// quietPebble drops Pebble's informational log lines.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any)  {}
func (quietPebble) Errorf(string, ...any) {}
func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
