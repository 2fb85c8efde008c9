package loader

import (
	"testing"
	"time"
)

func TestBackoffEqualJitter(t *testing.T) {
	var asked []int64
	low := func(n int64) int64 { asked = append(asked, n); return 0 }
	b := newBackoff(time.Second, 4*time.Second, low)
	var got []time.Duration
	for range 4 {
		got = append(got, b.next())
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	if asked[0] != int64(500*time.Millisecond)+1 {
		t.Fatalf("first draw over %d, want half the ceiling plus one", asked[0])
	}
	high := func(n int64) int64 { return n - 1 }
	b = newBackoff(time.Second, time.Minute, high)
	if w := b.next(); w != time.Second {
		t.Fatalf("highest first wait %v, want the ceiling", w)
	}
	b.next()
	b.reset()
	if w := b.next(); w != time.Second {
		t.Fatalf("after reset %v, want 1s", w)
	}
}
