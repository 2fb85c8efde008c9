package main

import "testing"

func TestPercentForFloor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, floor uint64
		want        int
	}{
		{live: 0, floor: 256 * mib, want: gcPercent},         // no collection yet
		{live: 10 * mib, floor: 256 * mib, want: 2500},       // goal 260 MiB
		{live: 8 * mib, floor: 256 * mib, want: 3100},        // exactly 3,100: goal 256 MiB
		{live: 60 * mib, floor: 256 * mib, want: gcPercent},  // 400 % already reaches the floor
		{live: 300 * mib, floor: 256 * mib, want: gcPercent}, // above the floor: GOGC's
		{live: 1, floor: 1 << 40, want: 1_000_000},           // capped
	} {
		got := percentForFloor(c.live, c.floor)
		if got != c.want {
			t.Errorf("percentForFloor(%d MiB, %d MiB) = %d, want %d", c.live/mib, c.floor/mib, got, c.want)
		}
		if c.live > 0 && got < 1_000_000 && c.live*uint64(100+got)/100 < c.floor {
			t.Errorf("percentForFloor(%d, %d) = %d: the goal is below the floor", c.live, c.floor, got)
		}
	}
}
