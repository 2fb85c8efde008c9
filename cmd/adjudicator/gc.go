package main

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// gcPercent is the server's GOGC unless the environment sets one. The live
// heap is mostly the caches (families, accumulator documents), which do
// not die; the garbage is each claim's, small and short-lived. At the Go
// default of 100 the collector ran every few hundred claims and cost a
// fifth of the server's CPU (85 us of about 490 per claim); at 400 it cost
// 26. The memory limit below keeps the larger heap goal from outgrowing a
// container.
const gcPercent = 400

// A heap floor (--gc-heap-floor-mib) keeps the collector from running
// while the heap is below it, whatever the live heap: GOGC alone sets the
// heap goal from the live heap, and a server whose caches are still small
// (a small population, or just started) then collects every second or two
// at 1,000 claims/s (about 30 KB of garbage a claim against a goal of
// about 50 MB). Each cycle takes one of the two processors' time for its
// marking (tens of milliseconds of wall time on a busy machine) and stops
// the world twice, and at one cycle a second the claims caught in a cycle
// are more than 1 % of them: the p99 was the collector's (bench/README.md,
// "The GC pauses at 1,000 claims/s"). With the floor the cycles come every
// several seconds and the p99 leaves them. A heap larger than the floor
// over GOGC's factor is governed by GOGC as before.

// tuneGC sets GOGC and, inside a container with a memory limit, a soft
// memory limit of 90 % of it, unless GOGC or GOMEMLIMIT are set: the
// environment wins. Unless GOGC is set, it then keeps the heap floor
// (floor bytes; 0: none), at most half the memory limit, until ctx ends.
func tuneGC(ctx context.Context, log *slog.Logger, floor int64) {
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if limit, ok := cgroupMemoryLimit(); ok {
			debug.SetMemoryLimit(limit / 10 * 9)
		}
	}
	// A negative limit reads the limit without changing it.
	limit := debug.SetMemoryLimit(-1)
	if gogc != "" {
		floor = 0 // the environment's GOGC is the operator's choice
	}
	floor = min(floor, limit/2)
	log.Info("garbage collector", "gogc", orDefault(gogc, strconv.Itoa(gcPercent)), "memory_limit_bytes", limit, "heap_floor_bytes", floor)
	if floor > 0 {
		go keepHeapFloor(ctx, uint64(floor))
	}
}

// orDefault is a, or b when a is empty.
func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// keepHeapFloor sets GOGC, every second, to what puts the next heap goal
// at floor while the live heap times GOGC's factor is below it, and back
// to gcPercent once it is not.
func keepHeapFloor(ctx context.Context, floor uint64) {
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := gcPercent
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(live)
		if p := percentForFloor(live[0].Value.Uint64(), floor); p != current {
			debug.SetGCPercent(p)
			current = p
		}
	}
}

// percentForFloor is the GOGC that puts the heap goal of a live heap at
// floor, rounded up to a multiple of 100 (so that small changes of the live
// heap do not reset it every second), and never below gcPercent.
func percentForFloor(live, floor uint64) int {
	if live == 0 || live >= floor {
		return gcPercent
	}
	p := ((floor-live)*100 + live - 1) / live // goal = live × (1 + p/100) ≥ floor
	p = (p + 99) / 100 * 100
	return int(min(max(p, gcPercent), 1_000_000))
}

// cgroupMemoryLimit is the cgroup v2 memory limit of the process, if any.
func cgroupMemoryLimit() (int64, bool) {
	b, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n == math.MaxInt64 { // "max": no limit
		return 0, false
	}
	return n, true
}
