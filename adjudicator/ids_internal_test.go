package adjudicator

import (
	"fmt"
	"testing"
	"time"
)

// TestIDClock: an ID is clock-based while that is above the last issued
// and the floor; else it is above the larger of them by 1 and the low 16
// bits of the sequence (with a carry into the milliseconds), and the
// clock's time moves on with it.
func TestIDClock(t *testing.T) {
	c := &idClock{seq: 0xfffffffe}
	now := time.UnixMilli(0x10)
	steps := []struct {
		now   time.Time
		floor string
		want  string
	}{
		{now, "", "000000000010ffffffff"},                     // clock-based
		{now, "", "00000000001100000000"},                     // after the last (sequence wrapped: carry)
		{now, "0000000000200000000a", "0000000000200000000c"}, // above a floor ahead of the clock
		{now, "", "0000000000200000000f"},                     // the clock is behind: after the last
		{now, "not an ID", "00000000002000000013"},            // no floor
		{time.UnixMilli(0x30), "", "00000000003000000004"},    // the clock is ahead again
		{now, "00000000002fffffffff", "0000000000300000000a"}, // a floor below the last
	}
	for i, s := range steps {
		if got := c.next(s.now, s.floor); got != s.want {
			t.Fatalf("step %d: next(%v, %q) = %s; want %s", i, s.now.UnixMilli(), s.floor, got, s.want)
		}
	}
	if got := c.at(now); !got.Equal(time.UnixMilli(0x30)) {
		t.Errorf("at(0x10 ms) after an ID at 0x30 ms = %v; want 0x30 ms", got.UnixMilli())
	}
	if got := c.at(time.UnixMilli(0x40)); !got.Equal(time.UnixMilli(0x40)) {
		t.Errorf("at(0x40 ms) = %v; want 0x40 ms", got.UnixMilli())
	}
	// A clock set back further than MaxClockOffset is followed, by the
	// IDs and the clock's time.
	later := time.UnixMilli(0x30).Add(MaxClockOffset + time.Millisecond)
	if got, want := c.next(later, ""), "00000000ea9100000006"; got != want {
		t.Fatalf("next after %v = %s; want %s", later.UnixMilli(), got, want)
	}
	if got, want := c.next(now, ""), "00000000001000000007"; got != want {
		t.Errorf("next at 0x10 ms, set back from %v = %s; want %s", later.UnixMilli(), got, want)
	}
	if got := c.at(now); !got.Equal(now) {
		t.Errorf("at(0x10 ms), set back = %v; want 0x10 ms", got.UnixMilli())
	}
}

// TestIDClockStats: the clock reports how far the ID it had to be above
// was ahead of it, and counts the IDs issued when that was beyond
// MaxClockOffset.
func TestIDClockStats(t *testing.T) {
	e := &Engine{}
	now := time.UnixMilli(1_000_000)
	ahead := func(d time.Duration) string {
		return fmt.Sprintf("%012x00000000", now.Add(d).UnixMilli())
	}
	steps := []struct {
		floor  string
		behind time.Duration
		beyond uint64
	}{
		{"", 0, 0},
		{ahead(-time.Second), 0, 0}, // a floor behind the clock
		{ahead(1500 * time.Millisecond), 1500 * time.Millisecond, 0}, // 1.5 s ahead
		{"", 1500 * time.Millisecond, 0},                             // the last ID, still ahead
		{ahead(MaxClockOffset + time.Second), MaxClockOffset + time.Second, 1},
		{"", 0, 1}, // the IDs followed the clock
	}
	for i, s := range steps {
		e.ids.next(now, s.floor)
		if got := e.ClockStats(); got.Behind != s.behind || got.Beyond != s.beyond {
			t.Errorf("step %d (floor %q): %+v; want behind %v, beyond %d", i, s.floor, got, s.behind, s.beyond)
		}
	}
}
