package bench

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Report is what a run measured. Latencies are in milliseconds.
type Report struct {
	Date     string   `json:"date"`
	Command  string   `json:"command,omitempty"`
	Machine  Machine  `json:"machine"`
	Workload Workload `json:"workload"`
	// CPUScope says whose CPU the per-call figures count: "server process"
	// or, in process, "client and server (one process)".
	CPUScope string       `json:"cpu_scope"`
	Setup    Setup        `json:"setup"`
	Closed   []Comparison `json:"closed_loop"`
	Open     []Comparison `json:"open_loop"`
	Capacity Capacity     `json:"capacity"`
	Scale    []Dimension  `json:"scale,omitempty"`
	Targets  []Target     `json:"targets"`
	Plots    []string     `json:"plots"`
	// PlotErrors are the plots that could not be drawn, and why.
	PlotErrors []string `json:"plot_errors,omitempty"`
	// LoadAverage is the machine's 1-minute load average at the start and
	// the end of the run: how busy the shared machine was.
	LoadAverage [2]float64 `json:"load_average"`
}

// Machine describes where the run ran.
type Machine struct {
	Cores     int     `json:"cores"`
	MemoryGiB float64 `json:"memory_gib"`
	CPU       string  `json:"cpu,omitempty"`
	Go        string  `json:"go"`
	OS        string  `json:"os"`
}

// Workload is the population and load settings.
type Workload struct {
	Seed        uint64 `json:"seed"`
	Members     int    `json:"members"`
	Families    int    `json:"families"`
	Pharmacies  int    `json:"pharmacies"`
	Drugs       int    `json:"drugs"`
	Plans       int    `json:"plans"`
	History     int    `json:"history_claims"`
	Warmup      int    `json:"warmup_claims"`
	Conns       int    `json:"connections"`
	MaxInFlight int    `json:"open_loop_max_in_flight"`
	Steps       string `json:"steps"`
	Rounds      int    `json:"rounds,omitempty"` // rounds of the load steps (Options.Repeat)
	Mix         []Mix  `json:"mix"`
}

// Mix is one kind of transaction and its share of the mix.
type Mix struct {
	Kind     string  `json:"kind"`
	Expected string  `json:"expected"`
	Percent  float64 `json:"percent"`
}

// Setup is what preparing a server cost.
type Setup struct {
	BundleBytes        int64   `json:"bundle_bytes"`
	ServerStartSeconds float64 `json:"server_start_seconds"` // opening the store and loading the bundle
	HistorySeconds     float64 `json:"history_seconds,omitempty"`
	HistoryThroughput  float64 `json:"history_claims_per_second,omitempty"`
	// HistoryPath is how the history was billed: historyInProcess or
	// historyThroughServer (empty in reports from before the choice).
	HistoryPath string `json:"history_path,omitempty"`
	// HistoryCPUPerClaim is the CPU spent per history claim: the bench
	// process's in process; the server's and the bench client's through
	// the server.
	HistoryCPUPerClaim float64 `json:"history_cpu_seconds_per_claim,omitempty"`
	// Answers to the history and warm-up claims.
	Status  map[string]int64 `json:"status"`
	Rejects map[string]int64 `json:"rejects"`
}

// How the history was billed (Setup.HistoryPath).
const (
	historyInProcess     = "engine in process, fsync off, then every file synced"
	historyThroughServer = "through the server"
)

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p99_9_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// StepResult is one load step: claims or empty RPCs, closed or open loop.
type StepResult struct {
	Mode        string           `json:"mode"` // closed or open
	Concurrency int              `json:"concurrency,omitempty"`
	OfferedRate float64          `json:"offered_per_second,omitempty"`
	Calls       int64            `json:"calls"`
	Seconds     float64          `json:"seconds"`
	Throughput  float64          `json:"per_second"`
	Latency     Latency          `json:"latency"`      // from the intended send time (open loop) or the send (closed loop)
	ServiceTime Latency          `json:"service_time"` // from the actual send
	Status      map[string]int64 `json:"status"`       // P, R, D, A; OK for the empty RPC
	Rejects     map[string]int64 `json:"rejects"`      // NCPDP reject code → count
	Errors      map[string]int64 `json:"errors"`       // gRPC code → count
	Mix         []KindResult     `json:"mix,omitempty"`
	// CPUSecondsPerCall is the CPU of CPUScope over the step divided by its calls.
	CPUSecondsPerCall float64 `json:"cpu_seconds_per_call"`
	// ClientCPUSecondsPerCall is the load generator's own CPU per call
	// (zero in process, where CPUSecondsPerCall covers both).
	ClientCPUSecondsPerCall float64 `json:"client_cpu_seconds_per_call,omitempty"`
	// EngineMeanMs is the mean time inside the engine per transaction,
	// durable commit included (the server's adjudication histogram);
	// CommitMeanMs the mean synced Pebble commit, and CommitsPerClaim how
	// many commits a transaction took (below 1: group commit at work).
	EngineMeanMs    float64 `json:"engine_mean_ms"`
	CommitMeanMs    float64 `json:"commit_mean_ms"`
	CommitsPerClaim float64 `json:"commits_per_claim"`
	// EngineP99Ms and CommitP99Ms are the p99 of the server's adjudication
	// and commit histograms over the step, as histogram_quantile computes
	// it from their buckets: what deploy/'s latency alerts see.
	EngineP99Ms float64 `json:"engine_p99_ms,omitempty"`
	CommitP99Ms float64 `json:"commit_p99_ms,omitempty"`
	// SchedP99Ms is the p99 of the server's Go scheduler latency over the
	// step (how long a runnable goroutine waited for a processor, from
	// go_sched_latencies_seconds); GCPauses how many stop-the-world pauses
	// its garbage collector made (go_sched_pauses_total_gc_seconds) and
	// GCPauseMaxMs the upper bound of the bucket of the longest. The Go
	// runtime's histograms reach Prometheus in buckets a decade apart
	// (0.0819, 0.918, 10.5, 117 ms), so the longest pause is known only to
	// lie below that bound (and above the one before), and a p99
	// interpolated inside a bucket is an artifact of where the bucket ends:
	// GCPauseP99Ms is such a p99, kept for reports written before.
	SchedP99Ms   float64 `json:"sched_p99_ms,omitempty"`
	GCPauseP99Ms float64 `json:"gc_pause_p99_ms,omitempty"`
	GCPauseMaxMs float64 `json:"gc_pause_max_ms,omitempty"`
	GCPauses     float64 `json:"gc_pauses,omitempty"`
	RSSBytes     float64 `json:"server_rss_bytes"`
	// Memory is where the server's memory was at the step's end.
	Memory *Memory  `json:"server_memory,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// Memory is where a server's resident memory goes, from its /metrics: the
// Go runtime's heap in use and all it holds from the OS (heap, stacks,
// its own structures), Pebble's block cache and memtables (allocated
// outside the Go heap when the server is built with cgo, inside it
// without), and the entries of the store's family and accumulator
// document caches. What the resident size has beyond the Go runtime and
// Pebble's caches is the binary, the C allocator's own use, and pages the
// runtime has returned but the kernel not yet reclaimed.
type Memory struct {
	// GoHeapLiveBytes is the heap the server's last collection found
	// alive; GoHeapInUseBytes also counts the garbage made since, which
	// GOGC lets grow to a multiple of the live heap.
	GoHeapLiveBytes  float64 `json:"go_heap_live_bytes,omitempty"`
	GoHeapInUseBytes float64 `json:"go_heap_inuse_bytes"`
	GoSysBytes       float64 `json:"go_sys_bytes"`
	BlockCacheBytes  float64 `json:"block_cache_bytes"`
	MemtableBytes    float64 `json:"memtable_bytes"`
	FamilyEntries    float64 `json:"family_cache_entries"`
	DocumentEntries  float64 `json:"document_cache_entries"`
}

// KindResult is what one kind of the mix was answered.
type KindResult struct {
	Kind     string           `json:"kind"`
	Expected string           `json:"expected"`
	Sent     int64            `json:"sent"`
	Observed map[string]int64 `json:"observed"` // "P", "R 79", "error Unavailable" → count
}

// Comparison is a claims step and the empty-RPC step measured the same way
// just before it, over the same connections, and (in the load steps) the
// bare Pebble baseline measured just after it: the claim's storage
// transaction alone at the same concurrency (closed loop), or a bare
// synced commit of its writes at the same rate (open loop).
type Comparison struct {
	Claims StepResult  `json:"claims"`
	Empty  StepResult  `json:"empty_rpc"`
	Bare   *StepResult `json:"bare_pebble,omitempty"`
	// ThroughputRatio is claims/s ÷ empty RPCs/s (closed loop);
	// P99Ratio is the claims' p99 ÷ the empty RPC's p99.
	ThroughputRatio float64 `json:"throughput_ratio"`
	P99Ratio        float64 `json:"p99_ratio"`
	// Against the bare Pebble baseline: claims/s ÷ bare transactions/s,
	// server CPU per claim ÷ CPU per bare transaction (closed loop), and
	// the claims' p99 ÷ the bare commit's p99 (open loop).
	BareThroughputRatio float64 `json:"bare_throughput_ratio,omitempty"`
	BareCPURatio        float64 `json:"bare_cpu_ratio,omitempty"`
	BareP99Ratio        float64 `json:"bare_p99_ratio,omitempty"`
	// BarePostgres is the same storage transaction in PostgreSQL, closed
	// loop at the same concurrency (with Options.PostgresDSN), and
	// BarePostgresRatio claims/s ÷ its transactions/s.
	BarePostgres      *StepResult `json:"bare_postgres,omitempty"`
	BarePostgresRatio float64     `json:"bare_postgres_throughput_ratio,omitempty"`
	// Runs are the figures of every round of this step (Options.Repeat),
	// in the order run; the step's results above are the median round's.
	Runs []RunFigures `json:"runs,omitempty"`
}

// RunFigures are one round's headline figures of a step.
type RunFigures struct {
	Throughput          float64 `json:"per_second"`
	P99                 float64 `json:"p99_ms"`
	CPUSecondsPerCall   float64 `json:"cpu_seconds_per_call"`
	ThroughputRatio     float64 `json:"throughput_ratio"`
	BareThroughput      float64 `json:"bare_per_second,omitempty"`
	BareP99             float64 `json:"bare_p99_ms,omitempty"`
	BareCPUSecondsPer   float64 `json:"bare_cpu_seconds_per_call,omitempty"`
	BareThroughputRatio float64 `json:"bare_throughput_ratio,omitempty"`
	BareCPURatio        float64 `json:"bare_cpu_ratio,omitempty"`
	BareP99Ratio        float64 `json:"bare_p99_ratio,omitempty"`
}

func compare(claims, empty StepResult) Comparison {
	c := Comparison{Claims: claims, Empty: empty}
	if empty.Throughput > 0 {
		c.ThroughputRatio = claims.Throughput / empty.Throughput
	}
	if empty.Latency.P99 > 0 {
		c.P99Ratio = claims.Latency.P99 / empty.Latency.P99
	}
	return c
}

// withBare adds the bare Pebble baseline measured alongside and the
// service's ratios to it.
func (c Comparison) withBare(bare StepResult) Comparison {
	c.Bare = &bare
	c.BareThroughputRatio = ratio(c.Claims.Throughput, bare.Throughput)
	c.BareCPURatio = ratio(c.Claims.CPUSecondsPerCall, bare.CPUSecondsPerCall)
	c.BareP99Ratio = ratio(c.Claims.Latency.P99, bare.Latency.P99)
	return c
}

func (c Comparison) figures() RunFigures {
	f := RunFigures{Throughput: c.Claims.Throughput, P99: c.Claims.Latency.P99, CPUSecondsPerCall: c.Claims.CPUSecondsPerCall, ThroughputRatio: c.ThroughputRatio,
		BareThroughputRatio: c.BareThroughputRatio, BareCPURatio: c.BareCPURatio, BareP99Ratio: c.BareP99Ratio}
	if c.Bare != nil {
		f.BareThroughput, f.BareP99, f.BareCPUSecondsPer = c.Bare.Throughput, c.Bare.Latency.P99, c.Bare.CPUSecondsPerCall
	}
	return f
}

// median returns the median round of a step by key (the lower middle of
// an even number), with every round's figures in Runs.
func median(rounds []Comparison, key func(Comparison) float64) Comparison {
	sorted := slices.Clone(rounds)
	slices.SortStableFunc(sorted, func(a, b Comparison) int { return cmp.Compare(key(a), key(b)) })
	m := sorted[(len(sorted)-1)/2]
	m.Runs = nil
	if len(rounds) > 1 {
		for _, r := range rounds {
			m.Runs = append(m.Runs, r.figures())
		}
	}
	return m
}

// spread formats the median figure v with the min–max of f over runs
// ("0.21 (0.19–0.24)"); just v for a single round.
func spread(v float64, runs []RunFigures, f func(RunFigures) float64) string {
	if len(runs) < 2 {
		return num(v)
	}
	lo, hi := f(runs[0]), f(runs[0])
	for _, r := range runs[1:] {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	return fmt.Sprintf("%s (%s–%s)", num(v), num(lo), num(hi))
}

// Capacity is the capacity line: the highest open-loop rate served with
// p99 under the bound, per core.
type Capacity struct {
	P99BoundMs float64 `json:"p99_bound_ms"`
	Rate       float64 `json:"claims_per_second"` // 0: no tested rate met the bound
	PerCore    float64 `json:"claims_per_second_per_core"`
	P99Ms      float64 `json:"p99_ms,omitempty"`
	CPUPerCall float64 `json:"cpu_seconds_per_claim,omitempty"`
	// PerCPUSecond is 1 ÷ CPUPerCall: claims per second of one fully busy core.
	PerCPUSecond float64 `json:"claims_per_cpu_second,omitempty"`
	Text         string  `json:"text"`
}

// Dimension is one scale curve.
type Dimension struct {
	Name  string      `json:"name"` // members, history, edits or transport
	Cases []ScaleCase `json:"cases"`
}

// ScaleCase is one point of a scale curve, measured on a fresh server.
type ScaleCase struct {
	Members int `json:"members"`
	History int `json:"history_claims"`
	Edits   int `json:"synthetic_edits"`
	// Transport is "plaintext" or "mutual TLS" in the transport dimension.
	Transport string     `json:"transport,omitempty"`
	Setup     Setup      `json:"setup"`
	Closed    Comparison `json:"closed_loop"`
	Open      Comparison `json:"open_loop"`
	// Relative figures against the dimension's first case.
	RelThroughput float64 `json:"relative_throughput"`
	RelCPU        float64 `json:"relative_cpu_per_claim"`
	RelP99        float64 `json:"relative_open_loop_p99"`
	RelRatio      float64 `json:"relative_throughput_ratio"`
}

// Target is one of DESIGN.md's performance targets against this run.
type Target struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Verdict  string `json:"verdict"` // met, not met, not measured
}

// loadAverage is the 1-minute load average, 0 where /proc/loadavg is not.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				m.MemoryGiB = float64(int(kb/(1<<20)*10+0.5)) / 10
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func mixShares() []Mix {
	total := 0
	for k := range kindCount {
		total += kindInfo[k].weight
	}
	out := make([]Mix, 0, kindCount)
	for k := range kindCount {
		out = append(out, Mix{Kind: kindInfo[k].name, Expected: kindInfo[k].expect, Percent: 100 * float64(kindInfo[k].weight) / float64(total)})
	}
	return out
}

// capacity finds the capacity line among the open-loop steps: the highest
// rate served in full (within 5 %, no errors) with p99 under the bound,
// with the disk's own synced-commit p99 at that rate beside it.
func capacity(open []Comparison, boundMs float64, cores int) Capacity {
	c := Capacity{P99BoundMs: boundMs}
	var at *Comparison
	for i := range open {
		r := open[i].Claims
		ok := r.Latency.P99 <= boundMs && len(r.Errors) == 0 && r.Throughput >= 0.95*r.OfferedRate
		if ok && r.OfferedRate > c.Rate {
			c.Rate, c.P99Ms, c.CPUPerCall, at = r.OfferedRate, r.Latency.P99, r.CPUSecondsPerCall, &open[i]
		}
	}
	if c.Rate == 0 {
		c.Text = fmt.Sprintf("No tested open-loop rate was served in full with p99 ≤ %s ms.", num(boundMs))
		var best *Comparison
		for i := range open {
			r := &open[i].Claims
			if len(r.Errors) == 0 && r.Throughput >= 0.95*r.OfferedRate && (best == nil || r.OfferedRate > best.Claims.OfferedRate) {
				best = &open[i]
			}
		}
		if best != nil {
			c.Text += fmt.Sprintf(" The highest rate served in full (within 5 %%, no errors) was %s claims/s, %s per core, at p99 %s ms%s (`bench --render` with a larger `--p99-bound` gives its capacity line).",
				num(best.Claims.OfferedRate), num(best.Claims.OfferedRate/float64(cores)), num(best.Claims.Latency.P99), diskP99(best))
		}
		return c
	}
	c.PerCore = c.Rate / float64(cores)
	if c.CPUPerCall > 0 {
		c.PerCPUSecond = 1 / c.CPUPerCall
	}
	c.Text = fmt.Sprintf("%s claims/s with p99 %s ms ≤ %s ms%s, on %d cores shared by client and server: %s claims/s per core. "+
		"At that rate the server spends %s ms of CPU per claim, %s claims per second of one busy core.",
		num(c.Rate), num(c.P99Ms), num(boundMs), diskP99(at), cores, num(c.PerCore), num(c.CPUPerCall*1000), num(c.PerCPUSecond))
	if len(open) > 0 && c.Rate == open[len(open)-1].Claims.OfferedRate {
		c.Text += " It is the highest rate tested: the limit lies above it."
	}
	return c
}

// diskP99 is ", beside the disk's own synced-commit p99 of X ms at that
// rate", or nothing when the step has no bare baseline.
func diskP99(c *Comparison) string {
	if c == nil || c.Bare == nil || c.Bare.Latency.P99 == 0 {
		return ""
	}
	return fmt.Sprintf(" (the disk's own synced commit at that rate: p99 %s ms, so the claim's p99 is %s× the disk's)", num(c.Bare.Latency.P99), num(c.BareP99Ratio))
}

// targets sets the run against DESIGN.md's performance targets (issue 14:
// each a ratio to a baseline measured in the same run). A scale target is judged
// only when the run reached its scale.
func targets(r *Report) []Target {
	var out []Target
	var c64, at1000 *Comparison
	for i := range r.Closed {
		if r.Closed[i].Claims.Concurrency == 64 {
			c64 = &r.Closed[i]
		}
	}
	for i := range r.Open {
		if r.Open[i].Claims.OfferedRate == 1000 {
			at1000 = &r.Open[i]
		}
	}
	rounds := func(c *Comparison) string {
		if len(c.Runs) < 2 {
			return "one round"
		}
		return fmt.Sprintf("median of %d rounds, min–max in brackets", len(c.Runs))
	}

	t := Target{Target: "Bill at concurrency 64 ≥ 0.5 × the empty RPC's throughput (stretch 0.6; the bare Pebble transaction's ratio shows the limit)", Verdict: "not measured"}
	if c := c64; c != nil {
		t.Measured = fmt.Sprintf("%s × (%s claims/s against %s empty RPCs/s; %s)", spread(c.ThroughputRatio, c.Runs, func(f RunFigures) float64 { return f.ThroughputRatio }),
			num(c.Claims.Throughput), num(c.Empty.Throughput), rounds(c))
		if c.Bare != nil && c.Empty.Throughput > 0 {
			t.Measured += fmt.Sprintf("; the bare Pebble transaction %s/s = %s × the empty RPC", num(c.Bare.Throughput), num(c.Bare.Throughput/c.Empty.Throughput))
		}
		t.Verdict = roundsVerdict(c.ThroughputRatio >= 0.5, c.Runs, func(f RunFigures) bool { return f.ThroughputRatio >= 0.5 })
		if t.Verdict == "met" && c.ThroughputRatio >= 0.6 {
			t.Verdict = "met (stretch too)"
		}
	}
	out = append(out, t)

	t = Target{Target: "server CPU per claim ≤ 2 × the bare storage transaction's CPU (concurrency 64)", Verdict: "not measured"}
	if c := c64; c != nil && c.Bare != nil && c.BareCPURatio > 0 {
		t.Measured = fmt.Sprintf("%s × (%s ms of server CPU per claim against %s ms per bare transaction; %s)", spread(c.BareCPURatio, c.Runs, func(f RunFigures) float64 { return f.BareCPURatio }),
			num(1000*c.Claims.CPUSecondsPerCall), num(1000*c.Bare.CPUSecondsPerCall), rounds(c))
		t.Verdict = roundsVerdict(c.BareCPURatio <= 2, c.Runs, func(f RunFigures) bool { return f.BareCPURatio <= 2 })
	}
	out = append(out, t)

	t = Target{Target: "p99 at 1,000 claims/s open loop ≤ 2 × the p99 of a bare synced Pebble commit at the same rate", Verdict: "not measured"}
	if c := at1000; c != nil && c.Bare != nil && c.BareP99Ratio > 0 {
		t.Measured = fmt.Sprintf("%s × (claims p99 %s ms against the bare commit's %s ms; %s)", spread(c.BareP99Ratio, c.Runs, func(f RunFigures) float64 { return f.BareP99Ratio }),
			num(c.Claims.Latency.P99), num(c.Bare.Latency.P99), rounds(c))
		t.Verdict = roundsVerdict(c.BareP99Ratio <= 2, c.Runs, func(f RunFigures) bool { return f.BareP99Ratio <= 2 })
	}
	out = append(out, t)

	for _, d := range r.Scale {
		if len(d.Cases) < 2 {
			continue
		}
		first, last := d.Cases[0], d.Cases[len(d.Cases)-1]
		switch d.Name {
		case "history":
			t := Target{Target: "history 0 → 10M claims at 1M members: server CPU per claim ≤ 1.15 ×, resident memory bounded by the configured caches"}
			t.Measured = fmt.Sprintf("%s → %s claims of history at %s members: CPU per claim × %s, server RSS %s → %s MiB",
				count(first.History), count(last.History), count(last.Members), num(last.RelCPU), num(first.Closed.Claims.RSSBytes/(1<<20)), num(last.Closed.Claims.RSSBytes/(1<<20)))
			t.Verdict = atScale(last.History >= 10_000_000 && last.Members >= 1_000_000, last.RelCPU <= 1.15)
			out = append(out, t)
		case "edits":
			t := Target{Target: "10 → 10,000 Active edits: per-claim cost grows < 20 %"}
			t.Measured = fmt.Sprintf("%s → %s synthetic edits: server CPU per claim × %s, throughput × %s", count(first.Edits), count(last.Edits), num(last.RelCPU), num(last.RelThroughput))
			t.Verdict = atScale(first.Edits <= 10 && last.Edits >= 10_000, last.RelCPU < 1.2)
			out = append(out, t)
		}
	}
	return out
}

// roundsVerdict is met or not met on the median round, or unclear when
// the rounds disagree (the machine's noise decides).
func roundsVerdict(median bool, runs []RunFigures, ok func(RunFigures) bool) string {
	for _, r := range runs {
		if ok(r) != median {
			return "unclear: the rounds disagree (" + verdict(median) + " on the median)"
		}
	}
	return verdict(median)
}

// atScale is the verdict of a scale target: only when the run reached the
// target's scale; otherwise the figure stands without one.
func atScale(reached, ok bool) string {
	if !reached {
		return "not measured at the target's scale (the figure is this run's smaller curve)"
	}
	return verdict(ok)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// num formats a figure with three significant digits (whole numbers from 1,000 on).
func num(v float64) string {
	switch {
	case v >= 999.5 || v <= -999.5:
		return count(int(v + 0.5))
	case v == 0:
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// count formats an integer with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b mdWriter
	r.mdHeader(&b)
	r.mdClosed(&b)
	r.mdOpen(&b)
	r.mdAnswers(&b)
	for _, d := range r.Scale {
		d.markdown(&b)
	}
	r.mdTargets(&b)
	r.mdPlots(&b)
	return b.String()
}

// mdWriter builds a Markdown document a line at a time.
type mdWriter struct{ strings.Builder }

// p writes one formatted line.
func (b *mdWriter) p(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

// mdHeader writes the title, machine, workload, setup and capacity line.
func (r *Report) mdHeader(b *mdWriter) {
	p := b.p
	p("# rxclaims capacity report, %s", r.Date)
	p("")
	if r.Command != "" {
		p("Command: `%s`", r.Command)
		p("")
	}
	m := r.Machine
	p("Machine: %d cores (%s), %s GiB memory, %s, %s. Client and server share the cores. CPU per call counts the %s.", m.Cores, m.CPU, num(m.MemoryGiB), m.Go, m.OS, r.CPUScope)
	p("")
	if la := r.LoadAverage; la != [2]float64{} {
		p("Load average (1 min) %s at the start, %s at the end, on %d cores.", num(la[0]), num(la[1]), m.Cores)
		if max(la[0], la[1]) > 0.5*float64(m.Cores) {
			p("**The machine was shared and busy**: absolute figures move with the other work, so read the ratios measured in the same step (to the empty RPC, to the bare Pebble baseline) before the absolute numbers.")
		}
		p("")
	}
	w := r.Workload
	p("Workload (seed %d): %s members in %s families, %s pharmacies, %s drugs, %d plans; %s claims of history and %s of warm-up (through the server) before measuring; %d gRPC connection(s); steps of %s.",
		w.Seed, count(w.Members), count(w.Families), count(w.Pharmacies), count(w.Drugs), w.Plans, count(w.History), count(w.Warmup), w.Conns, w.Steps)
	p("Setup: bundle %s MB, server start %s s", num(float64(r.Setup.BundleBytes)/1e6), num(r.Setup.ServerStartSeconds))
	if r.Setup.HistorySeconds > 0 {
		p("(history billed at %s claims/s, %s ms of CPU per claim, %s)", num(r.Setup.HistoryThroughput), num(r.Setup.HistoryCPUPerClaim*1000), cmp.Or(r.Setup.HistoryPath, historyThroughServer))
	}
	p("")
	p("History and warm-up answers: %s; rejects %s.", orNone(counts(r.Setup.Status)), orNone(counts(r.Setup.Rejects)))
	p("")
	p("## Capacity")
	p("")
	p("%s", r.Capacity.Text)
	p("")
}

// mdClosed writes the closed-loop table.
func (r *Report) mdClosed(b *mdWriter) {
	if len(r.Closed) == 0 {
		return
	}
	p := b.p
	p("## Closed loop (throughput against concurrency)")
	p("")
	p("Each step: the empty RPC, then claims, then the bare Pebble transaction (the claim's reads and synced writes alone, no gRPC or engine) at the same concurrency. %s", roundsNote(r.Closed))
	p("")
	p("| concurrency | claims/s | empty RPC/s | ratio to empty | bare Pebble txn/s | ratio to bare | bare ÷ empty | p50 ms | p99 ms | p99.9 ms | server CPU ms/claim | bare CPU ms/txn | CPU ratio to bare | client CPU ms/claim | engine mean ms | commit mean ms | errors |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range r.Closed {
		l := c.Claims.Latency
		bareTps, bareCPU, bareEmpty := "–", "–", "–"
		if c.Bare != nil {
			bareTps, bareCPU, bareEmpty = num(c.Bare.Throughput), num(c.Bare.CPUSecondsPerCall*1000), num(ratio(c.Bare.Throughput, c.Empty.Throughput))
		}
		p("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |", c.Claims.Concurrency,
			spread(c.Claims.Throughput, c.Runs, func(f RunFigures) float64 { return f.Throughput }), num(c.Empty.Throughput),
			spread(c.ThroughputRatio, c.Runs, func(f RunFigures) float64 { return f.ThroughputRatio }), bareTps,
			spread(c.BareThroughputRatio, c.Runs, func(f RunFigures) float64 { return f.BareThroughputRatio }), bareEmpty,
			num(l.P50), num(l.P99), num(l.P999), spread(c.Claims.CPUSecondsPerCall*1000, c.Runs, func(f RunFigures) float64 { return f.CPUSecondsPerCall * 1000 }),
			bareCPU, spread(c.BareCPURatio, c.Runs, func(f RunFigures) float64 { return f.BareCPURatio }), num(c.Claims.ClientCPUSecondsPerCall*1000),
			num(c.Claims.EngineMeanMs), num(c.Claims.CommitMeanMs), sum(c.Claims.Errors))
	}
	p("")
	p("Server CPU counts the %s; the bare transaction's CPU is the bench process's own over its step (its gRPC client idle meanwhile).", r.CPUScope)
	p("")
	if len(r.Closed) > 0 && r.Closed[0].BarePostgres != nil {
		p("The same storage transaction in PostgreSQL (pgx, pipelined: the reads in one round trip, the writes in another, then a synchronous commit), after the Pebble one; its CPU is the bench client's only, not the PostgreSQL server's:")
		p("")
		p("| concurrency | PostgreSQL txn/s | ÷ empty RPC | claims ÷ PostgreSQL | bare Pebble ÷ PostgreSQL | p99 ms | client CPU ms/txn | errors |")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, c := range r.Closed {
			pg := c.BarePostgres
			if pg == nil {
				continue
			}
			bare := 0.0
			if c.Bare != nil {
				bare = ratio(c.Bare.Throughput, pg.Throughput)
			}
			p("| %d | %s | %s | %s | %s | %s | %s | %d |", c.Claims.Concurrency, num(pg.Throughput), num(ratio(pg.Throughput, c.Empty.Throughput)), num(c.BarePostgresRatio),
				num(bare), num(pg.Latency.P99), num(pg.ClientCPUSecondsPerCall*1000), sum(pg.Errors))
		}
		p("")
	}
}

// roundsNote says how the rounds of the load steps are summarised.
func roundsNote(steps []Comparison) string {
	if len(steps) == 0 || len(steps[0].Runs) < 2 {
		return "One round: repeat with `--repeat` for a min–max."
	}
	return fmt.Sprintf("Rounds: %d, one after another on the same server; each row is the median round (closed loop by its ratio to the empty RPC, open loop by its p99), with the min–max over the rounds in brackets.", len(steps[0].Runs))
}

// mdOpen writes the open-loop table.
func (r *Report) mdOpen(b *mdWriter) {
	if len(r.Open) == 0 {
		return
	}
	p := b.p
	p("## Open loop (latency against offered load, from the intended send time)")
	p("")
	p("Each step: the empty RPC, then claims, then a bare synced Pebble commit of the claim's writes at the same rate: the disk's own latency. %s", roundsNote(r.Open))
	p("")
	p("| offered/s | served/s | p50 ms | p90 ms | p99 ms | p99.9 ms | service p50 / p99 ms | empty p50 / p99 ms | bare commit p50 / p99 ms | p99 ratio to bare | server engine / commit p99 ms | server scheduler p99 ms | server GC pauses: count, longest ms | server CPU ms/claim | errors |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range r.Open {
		l, sv := c.Claims.Latency, c.Claims.ServiceTime
		bare := "–"
		if c.Bare != nil {
			bare = num(c.Bare.Latency.P50) + " / " + spread(c.Bare.Latency.P99, c.Runs, func(f RunFigures) float64 { return f.BareP99 })
		}
		p("| %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s / %s | %s | %s, %s | %s | %d |", num(c.Claims.OfferedRate), num(c.Claims.Throughput), num(l.P50), num(l.P90),
			spread(l.P99, c.Runs, func(f RunFigures) float64 { return f.P99 }), num(l.P999),
			num(sv.P50), num(sv.P99), num(c.Empty.Latency.P50), num(c.Empty.Latency.P99), bare,
			spread(c.BareP99Ratio, c.Runs, func(f RunFigures) float64 { return f.BareP99Ratio }),
			num(c.Claims.EngineP99Ms), num(c.Claims.CommitP99Ms), num(c.Claims.SchedP99Ms), num(c.Claims.GCPauses), longestPause(c.Claims),
			num(c.Claims.CPUSecondsPerCall*1000), sum(c.Claims.Errors))
	}
	p("")
	p("Latency counts from the intended send time, so queueing behind slow calls is included; service time counts from the actual send. The difference at low rates is mostly the client's timer waking up to about 1 ms late, which the empty RPC shows too. The server's engine and commit p99 come from its own histograms' buckets over the step (interpolated as Prometheus's histogram_quantile does): what deploy/'s latency alerts see. The scheduler p99 is how long a runnable goroutine of the server waited for a processor (go_sched_latencies_seconds): a claim waits so at every hand-off (stream worker, commit goroutine, WAL writer, back). The GC pauses are the collector's stop-the-world pauses over the step: how many, and the bound the longest lies under (the runtime's histograms reach Prometheus in buckets a decade apart: 0.0819, 0.918, 10.5, 117 ms; the scheduler p99 is interpolated in the same buckets, so read it as a bucket, not a figure).")
	p("")
}

// answerTotals are the answers of every claims step added up.
type answerTotals struct {
	status, rejects, errs map[string]int64
	mix                   map[string]*KindResult
	order                 []string // mix kinds in the order first seen
}

// totalAnswers adds up the answers of the closed- and open-loop steps.
func (r *Report) totalAnswers() answerTotals {
	t := answerTotals{status: map[string]int64{}, rejects: map[string]int64{}, errs: map[string]int64{}, mix: map[string]*KindResult{}}
	for _, c := range append(slices.Clone(r.Closed), r.Open...) {
		for _, pair := range []struct{ dst, src map[string]int64 }{{t.status, c.Claims.Status}, {t.rejects, c.Claims.Rejects}, {t.errs, c.Claims.Errors}} {
			for k, v := range pair.src {
				pair.dst[k] += v
			}
		}
		for _, k := range c.Claims.Mix {
			if t.mix[k.Kind] == nil {
				t.mix[k.Kind] = &KindResult{Kind: k.Kind, Expected: k.Expected, Observed: map[string]int64{}}
				t.order = append(t.order, k.Kind)
			}
			t.mix[k.Kind].Sent += k.Sent
			for a, v := range k.Observed {
				t.mix[k.Kind].Observed[a] += v
			}
		}
	}
	return t
}

// mdAnswers writes the answers over all claims steps and the mix's
// expected against observed answers, largest share first.
func (r *Report) mdAnswers(b *mdWriter) {
	p := b.p
	t := r.totalAnswers()
	p("## Answers over all claims steps")
	p("")
	p("Status: %s. Errors: %s.", counts(t.status), orNone(counts(t.errs)))
	p("")
	p("Rejects by NCPDP code: %s.", orNone(counts(t.rejects)))
	p("")
	p("| kind | share of mix | expected | sent | observed |")
	p("|---|---:|---|---:|---|")
	shares := map[string]float64{}
	for _, s := range r.Workload.Mix {
		shares[s.Kind] = s.Percent
	}
	slices.SortStableFunc(t.order, func(a, b string) int { return cmp.Compare(shares[b], shares[a]) })
	for _, k := range t.order {
		km := t.mix[k]
		p("| %s | %s %% | %s | %s | %s |", km.Kind, num(shares[k]), km.Expected, count(int(km.Sent)), counts(km.Observed))
	}
	p("")
}

// markdown writes one scale dimension's table.
func (d Dimension) markdown(b *mdWriter) {
	p := b.p
	p("## Scale: %s", d.Name)
	p("")
	p("Each case on a fresh server (a store seeded in process is read once before it starts, so it sits in the OS page cache as a long-running server's does); closed loop at concurrency %d, open loop at %s claims/s. Relative figures are against the first case; the relative ratio (claims/s ÷ empty RPCs/s measured just before, against the same for the first case) discounts a machine that got faster or slower between cases.",
		d.Cases[0].Closed.Claims.Concurrency, num(d.Cases[0].Open.Claims.OfferedRate))
	if len(d.Cases) < 3 && d.Name != "transport" {
		p("")
		p("**%s only**: a curve needs at least three points to show its shape.", plural(len(d.Cases), "case", "cases"))
	}
	if d.Name == "transport" {
		p("")
		p("The same population over plaintext and over mutual TLS (a client certificate, TLS 1.3): the cost of TLS on the claim path. The empty RPC of each case travels the same way, so its ratio to empty compares like with like.")
	}
	p("")
	head := "| members | history | synthetic edits | history billed claims/s | start s | claims/s | relative | ratio to empty | relative ratio | CPU ms/claim | relative CPU | open p99 ms | relative p99 | server RSS MiB |"
	rule := "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	if d.Name == "transport" {
		head, rule = "| transport "+head, "|---"+rule
	}
	p("%s", head)
	p("%s", rule)
	for _, c := range d.Cases {
		row := ""
		if d.Name == "transport" {
			row = "| " + cmp.Or(c.Transport, "plaintext") + " "
		}
		seeded := "–"
		if c.Setup.HistoryThroughput > 0 {
			seeded = num(c.Setup.HistoryThroughput)
		}
		cl, op := c.Closed, c.Open
		row += fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", count(c.Members), count(c.History), count(c.Edits), seeded, num(c.Setup.ServerStartSeconds),
			spread(cl.Claims.Throughput, cl.Runs, func(r RunFigures) float64 { return r.Throughput }), num(c.RelThroughput),
			spread(cl.ThroughputRatio, cl.Runs, func(r RunFigures) float64 { return r.ThroughputRatio }), num(c.RelRatio),
			spread(cl.Claims.CPUSecondsPerCall*1000, cl.Runs, func(r RunFigures) float64 { return r.CPUSecondsPerCall * 1000 }), num(c.RelCPU),
			spread(op.Claims.Latency.P99, op.Runs, func(r RunFigures) float64 { return r.P99 }), num(c.RelP99), num(cl.Claims.RSSBytes/(1<<20)))
		p("%s", row)
	}
	d.memoryMarkdown(b)
	if rounds := len(d.Cases[0].Closed.Runs); rounds > 1 {
		p("")
		p("Each case ran %d rounds of its steps; a figure is the median round's (closed loop by its ratio to the empty RPC, open loop by its p99), with the min–max over the rounds in brackets.", rounds)
	}
	for _, c := range d.Cases {
		if c.Setup.HistorySeconds > 0 {
			p("")
			p("History billed %s (the history claims/s column, setup only); the warm-up and every measured step went through the server.", cmp.Or(c.Setup.HistoryPath, historyThroughServer))
			break
		}
	}
	p("")
}

// mdTargets writes the DESIGN.md targets with their verdicts.
func (r *Report) mdTargets(b *mdWriter) {
	p := b.p
	p("## Targets (DESIGN.md)")
	p("")
	p("Each ratio is measured in this run, on this machine; a verdict is the median round's, *unclear* when the rounds disagree, and a scale target has a verdict only when the run reached its scale.")
	p("")
	p("| target | measured | verdict |")
	p("|---|---|---|")
	for _, t := range r.Targets {
		p("| %s | %s | %s |", t.Target, cmp.Or(t.Measured, "–"), t.Verdict)
	}
	p("")
}

// mdPlots links the plots.
func (r *Report) mdPlots(b *mdWriter) {
	if len(r.Plots) == 0 && len(r.PlotErrors) == 0 {
		return
	}
	b.p("## Plots")
	b.p("")
	for _, e := range r.PlotErrors {
		b.p("Not drawn: %s", e)
		b.p("")
	}
	for _, f := range r.Plots {
		b.p("![%s](%s)", strings.TrimSuffix(f, ".png"), f)
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// counts lists a map's entries, largest first.
func counts(m map[string]int64) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, count(int(m[k])))
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// plural is "1 case" or "2 cases".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// longestPause is the bound the step's longest GC pause lies under (≤ the
// bucket's upper bound), or, for a report written before, the p99 it had.
func longestPause(r StepResult) string {
	if r.GCPauseMaxMs > 0 {
		return "≤ " + num(r.GCPauseMaxMs)
	}
	return num(r.GCPauseP99Ms)
}

// memoryMarkdown writes where each case's server memory was at the end of its
// closed-loop step, so that growth between cases can be put down to the
// caches (bounded by their settings) or to something else.
func (d Dimension) memoryMarkdown(b *mdWriter) {
	if !slices.ContainsFunc(d.Cases, func(c ScaleCase) bool { return c.Closed.Claims.Memory != nil }) {
		return // a report from a bench before the breakdown
	}
	p, mib := b.p, func(v float64) string { return num(v / (1 << 20)) }
	p("")
	p("Server memory at the end of each case's closed-loop step, in MiB (Go runtime: all the Go runtime holds from the OS; Go heap live: what the last collection found alive, the heap in use adding the garbage made since; Pebble's block cache and memtables lie outside the Go runtime when the server is built with cgo, inside it without):")
	p("")
	p("| members | history | resident | Go runtime | Go heap in use | Go heap live | block cache | memtables | family cache entries | document cache entries |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range d.Cases {
		m := c.Closed.Claims.Memory
		if m == nil {
			continue
		}
		live := "–" // a report from a server before go_gc_heap_live_bytes
		if m.GoHeapLiveBytes > 0 {
			live = mib(m.GoHeapLiveBytes)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", count(c.Members), count(c.History), mib(c.Closed.Claims.RSSBytes),
			mib(m.GoSysBytes), mib(m.GoHeapInUseBytes), live, mib(m.BlockCacheBytes), mib(m.MemtableBytes), count(int(m.FamilyEntries)), count(int(m.DocumentEntries)))
	}
}
