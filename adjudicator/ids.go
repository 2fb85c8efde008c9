package adjudicator

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rxclaims/rxclaims/domain"
)

// idClock issues the process's IDs: 12 hex digits of milliseconds and 8
// of a sequence started at random, each above the last it issued and
// above the floor it is given (a hybrid logical clock), so they are
// unique and increasing in the process even when its clock steps back or
// lags another process's by up to MaxClockOffset. A clock set back
// further, or a floor further ahead, is no skew: IDs then follow the
// clock, as the days claims read do (today), so that a replay, which
// takes a claim's day from its ID, reads the day the claim read.
type idClock struct {
	mu   sync.Mutex
	seq  uint32   // the sequence of clock-based IDs
	last [10]byte // the last ID issued
	// behind is how far the ID the last one had to be above (the last
	// issued, or the floor) was ahead of the clock, in milliseconds (0
	// when not ahead); beyond counts the IDs for which that was more than
	// MaxClockOffset, issued on the clock instead (ClockStats).
	behind int64
	beyond uint64
}

// next returns the clock-based next ID, or one a little above the larger
// of the last issued and floor (an ID; "" or another string for none)
// when that is not below it.
func (c *idClock) next(now time.Time, floor string) string {
	var id, f [10]byte
	binary.BigEndian.PutUint64(id[:8], uint64(now.UnixMilli())<<16)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	binary.BigEndian.PutUint32(id[6:], c.seq)
	low := c.last
	if len(floor) == 2*len(f) {
		if _, err := hex.Decode(f[:], []byte(floor)); err == nil && bytes.Compare(f[:], low[:]) > 0 {
			low = f
		}
	}
	c.behind = max(0, idMillis(low)-now.UnixMilli())
	if c.behind > MaxClockOffset.Milliseconds() {
		c.beyond++
		low = [10]byte{} // the clock was set back
	}
	if bytes.Compare(id[:], low[:]) <= 0 {
		// Above low by 1 and the low 16 bits of the process's sequence:
		// two processes lifted above one ID seldom issue the same.
		ms, seq := idMillis(low), uint64(binary.BigEndian.Uint32(low[6:]))+1+uint64(c.seq&0xffff)
		binary.BigEndian.PutUint64(id[:8], uint64(ms+int64(seq>>32))<<16)
		binary.BigEndian.PutUint32(id[6:], uint32(seq))
	}
	c.last = id
	return hex.EncodeToString(id[:])
}

// MaxClockOffset bounds the skew between processes' clocks (and a
// clock's step back) that IDs, so claims within a family, are kept in
// commit order across.
const MaxClockOffset = time.Minute

// idMillis is the milliseconds an ID carries.
func idMillis(id [10]byte) int64 { return int64(binary.BigEndian.Uint64(id[:8]) >> 16) }

// at is the clock's time: now, or the time the last ID issued carries when
// that is later by no more than MaxClockOffset (a floor lifted it). Days
// read from it are not before the day of an ID already issued.
func (c *idClock) at(now time.Time) time.Time {
	c.mu.Lock()
	t := time.UnixMilli(idMillis(c.last))
	c.mu.Unlock()
	if t.After(now) && t.Sub(now) <= MaxClockOffset {
		return t
	}
	return now
}

// ClockStats is what the engine's ID clock has seen of the skew between
// its clock and the IDs it had to issue above (metrics, alerts).
type ClockStats struct {
	// Behind is how far the ID the last one issued had to be above (this
	// engine's last ID, or the last ID another instance recorded under the
	// claim's family) was ahead of the clock: the skew behind the
	// instance that is furthest ahead, or a step back of the clock; 0
	// when the clock was ahead.
	Behind time.Duration
	// Beyond counts IDs issued when that was more than MaxClockOffset: the
	// IDs then follow the clock, and a replay of those families may take
	// their claims in another order than they were committed in.
	Beyond uint64
}

// ClockStats reports the ID clock's skew figures.
func (e *Engine) ClockStats() ClockStats {
	e.ids.mu.Lock()
	defer e.ids.mu.Unlock()
	return ClockStats{Behind: time.Duration(e.ids.behind) * time.Millisecond, Beyond: e.ids.beyond}
}

// issued counts the IDs issued (modulo 2^32, from a random start).
func (c *idClock) issued() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// newID returns a unique, time-ordered ID (idClock) taken under no family
// lock a store records.
func (e *Engine) newID() string { return e.ids.next(e.now(), "") }

// newIDAbove issues an ID under ctx's family locks, above the floor the
// store reports (IDFloor).
func (e *Engine) newIDAbove(ctx context.Context) string {
	floor := ""
	if e.floor != nil {
		floor = e.floor.IDFloor(ctx)
	}
	return e.ids.next(e.now(), floor)
}

// newID issues the claim's (or reversal's) ID under its family locks
// (newIDAbove). Replay adjudicates a claim again on the day its ID
// carries: when a floor (or midnight) put the ID on a later day than the
// one the claim read, the claim is adjudicated again, in a shared store
// (ErrConflict), on the clock the ID moved on.
func (a *adjudication) newID(ctx context.Context) (string, error) {
	id := a.engine.newIDAbove(ctx)
	if a.engine.tx == nil || a.day.IsZero() {
		return id, nil
	}
	if t, err := idTime(id); err == nil && domain.DateOf(t) != a.day {
		return "", fmt.Errorf("%w: claim ID %s is on a later day than %s, which the claim read", ErrConflict, id, a.day)
	}
	return id, nil
}

// today is the day the adjudication reads, the same at every step.
func (a *adjudication) today() domain.Date {
	if a.day.IsZero() {
		a.day = a.engine.today()
	}
	return a.day
}

// familyWrite runs write with an ID for a family write, issued under the
// families' in-process locks, and again with one above the floor a store
// refuses it with (BelowFloorError), a bounded number of times.
func (e *Engine) familyWrite(write func(at string) error) error {
	floor := ""
	for attempt := 1; ; attempt++ {
		err := write(e.ids.next(e.now(), floor))
		var low *BelowFloorError
		if !errors.As(err, &low) || attempt == conflictAttempts {
			return err
		}
		floor = low.Floor
	}
}
