package main

import (
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// gcPercent is the server's GOGC unless the environment sets one. The live
// heap is mostly the caches (families, accumulator documents), which do
// not die; the garbage is each claim's, small and short-lived. At the Go
// default of 100 the collector ran every few hundred claims and cost a
// fifth of the server's CPU (85 us of about 490 per claim); at 400 it cost
// 26. The memory limit below keeps the larger heap goal from outgrowing a
// container.
const gcPercent = 400

// tuneGC sets GOGC and, inside a container with a memory limit, a soft
// memory limit of 90 % of it, unless GOGC or GOMEMLIMIT are set: the
// environment wins.
func tuneGC(log *slog.Logger) {
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		debug.SetGCPercent(gcPercent)
		gogc = strconv.Itoa(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if limit, ok := cgroupMemoryLimit(); ok {
			debug.SetMemoryLimit(limit / 10 * 9)
		}
	}
	// A negative limit reads the limit without changing it.
	log.Info("garbage collector", "gogc", gogc, "memory_limit_bytes", debug.SetMemoryLimit(-1))
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
