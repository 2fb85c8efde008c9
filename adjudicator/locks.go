package adjudicator

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
)

// Transactions are serialized per claim key and per family with striped
// locks. A lock is a one-slot channel, so a transaction waiting for one
// stops waiting when its context ends.

const lockStripes = 1024

// stripeLocks are lockStripes locks, each a one-slot channel.
type stripeLocks [lockStripes]chan struct{}

func newStripeLocks() *stripeLocks {
	var l stripeLocks
	for i := range l {
		l[i] = make(chan struct{}, 1)
	}
	return &l
}

// lock takes stripe i, or gives up when ctx ends.
func (l *stripeLocks) lock(ctx context.Context, i int) error {
	select {
	case l[i] <- struct{}{}:
		return nil
	default:
	}
	select {
	case l[i] <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a lock: %w", ctx.Err())
	}
}

func (l *stripeLocks) unlock(i int) { <-l[i] }

// lockKey serializes transactions on one claim key. It is always taken
// before any family lock.
func (e *Engine) lockKey(ctx context.Context, k ClaimKey) (func(), error) {
	i := e.keyStripe(k)
	if err := e.keyLocks.lock(ctx, i); err != nil {
		return nil, err
	}
	return func() { e.keyLocks.unlock(i) }, nil
}

// keyStripe is the lock stripe of a claim key, hashed field by field
// (no key string is made).
func (e *Engine) keyStripe(k ClaimKey) int {
	var h maphash.Hash
	h.SetSeed(e.seed)
	h.WriteString(k.PharmacyNPI)
	h.WriteByte(0)
	h.WriteString(k.RxNumber)
	h.WriteByte(0)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(k.FillNumber))
	h.Write(n[:])
	h.WriteString(k.DateOfService)
	return int(h.Sum64() % lockStripes)
}

// lockFamilies serializes claims of the given families, taking their locks
// in one sorted batch so two callers never wait on each other in a cycle.
// If ctx ends while it waits, it releases what it took.
func (e *Engine) lockFamilies(ctx context.Context, ids ...string) (func(), error) {
	idx := make([]int, 0, len(ids))
	for _, id := range ids {
		idx = append(idx, e.stripe(id))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	unlock := func(held []int) {
		for _, i := range slices.Backward(held) {
			e.famLocks.unlock(i)
		}
	}
	for n, i := range idx {
		if err := e.famLocks.lock(ctx, i); err != nil {
			unlock(idx[:n])
			return nil, err
		}
	}
	return func() { unlock(idx) }, nil
}
