package pgtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/*/stat times
// (100 on every Linux port Go supports but alpha and ia64).
const clockTicks = 100

// SharedCPU returns the CPU time used so far by the shared cluster's
// server: the postmaster's own, its reaped children's, and its live
// backends'. The difference of two readings, divided by the work done
// between them, is the database's CPU per unit of work; backends that
// exit in between are counted once reaped (Linux only; 0 elsewhere or
// before the cluster starts).
func SharedCPU() time.Duration {
	if shared.c == nil {
		return 0
	}
	return shared.c.CPU()
}

// CPU returns the CPU time used so far by the cluster's server (see
// SharedCPU).
func (c *Cluster) CPU() time.Duration {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid := strings.TrimSpace(string(bytes.SplitN(b, []byte("\n"), 2)[0]))
	ticks, _ := procTicks(pid, true)
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if t, ppid := procTicks(filepath.Base(p), false); ppid == pid {
			ticks += t
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// procTicks returns process pid's user and system ticks (with its reaped
// children's when children is set) and its parent's ID.
func procTicks(pid string, children bool) (int64, string) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0, ""
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, ""
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, ""
	}
	var ticks int64
	last := 13 // utime, stime: fields 14, 15
	if children {
		last = 15 // cutime, cstime: fields 16, 17
	}
	for _, s := range f[11 : last+1] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return ticks, f[1]
}
