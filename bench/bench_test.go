package bench

import (
	"context"
	"encoding/json"
	"image/png"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

var today = domain.MustDate("2026-11-20")

func TestPopulationIsAValidBundle(t *testing.T) {
	pop, err := NewPopulation(PopulationOptions{Seed: 7, Members: 500, Pharmacies: 40, DrugPairs: 20, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	if pop.Members() != 500 {
		t.Errorf("population has %d members, want 500", pop.Members())
	}
	path := filepath.Join(t.TempDir(), "bundle.json")
	if _, err := writeBundle(path, pop.Config); err != nil {
		t.Fatal(err)
	}
	// The adjudicator's own configuration path reads it back.
	cfg, err := config.Load(path)
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Families) != pop.Families() {
		t.Errorf("bundle has %d families, population %d", len(cfg.Families), pop.Families())
	}
	types := map[string]bool{}
	net := map[string]domain.NetworkType{}
	for _, n := range cfg.Networks {
		net[n.ID] = n.Type
	}
	for _, ph := range cfg.Pharmacies {
		for _, pt := range ph.Participations {
			types[net[pt.Network].String()+" "+pt.Network] = true
		}
	}
	for _, want := range []string{"RETAIL RETAIL-PREF", "RETAIL RETAIL-OPEN", "RETAIL90 RETAIL90-NET", "RETAIL90 RETAIL90-OPEN", "MAIL MAIL-NET", "MAIL MAIL-OPEN", "SPECIALTY SPECIALTY-NET", "SPECIALTY SPECIALTY-OPEN"} {
		if !types[want] {
			t.Errorf("no pharmacy in %s", want)
		}
	}
	// Brand/generic pairs share a therapeutic class.
	byClass := map[string]string{}
	pairs := 0
	for _, d := range cfg.Drugs {
		byClass[d.TherapeuticClass] += d.MultiSourceCode
	}
	for _, codes := range byClass {
		if strings.Contains(codes, "O") && strings.Contains(codes, "Y") {
			pairs++
		}
	}
	if pairs < 20 {
		t.Errorf("only %d brand/generic pairs", pairs)
	}
	again, err := NewPopulation(PopulationOptions{Seed: 7, Members: 500, Pharmacies: 40, DrugPairs: 20, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(pop.Config)
	b, _ := json.Marshal(again.Config)
	if string(a) != string(b) {
		t.Error("the same seed drew two different populations")
	}
}

func TestGeneratorIsSeededAndFollowsTheMix(t *testing.T) {
	pop, err := NewPopulation(PopulationOptions{Seed: 3, Members: 2000, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	draw := func() ([]string, map[Kind]int) {
		g := NewGenerator(pop, 3, 100)
		g.SetPhase(today.AddDays(-300), 50)
		var ops []string
		kinds := map[Kind]int{}
		for range 10_000 {
			op := g.Next()
			kinds[op.Kind]++
			ops = append(ops, op.String())
		}
		return ops, kinds
	}
	a, kinds := draw()
	b, _ := draw()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("op %d differs between two generators of one seed:\n%s\n%s", i, a[i], b[i])
		}
	}
	for k := range kindCount {
		want := 10_000 * kindInfo[k].weight / 1000
		got := kinds[k]
		// New fills stand in for kinds that have nothing to refer to yet.
		if k != KindNew && (got < want/2 || got > want*3/2) {
			t.Errorf("%s: %d of 10,000 ops, want about %d", k, got, want)
		}
	}
}

// slowHealth answers health checks after a fixed delay.
type slowHealth struct {
	healthpb.UnimplementedHealthServer
	delay time.Duration
}

func (s slowHealth) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	time.Sleep(s.delay)
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// TestOpenLoopCountsQueueing: a server that takes 10 ms per call, one call
// at a time, offered 200 calls/s for half a second, falls ever further
// behind; latency from the intended send time shows the queue, where
// latency from the actual send would stay near 10 ms.
func TestOpenLoopCountsQueueing(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, slowHealth{delay: 10 * time.Millisecond})
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newClient([]*grpc.ClientConn{conn})
	r := openLoop(context.Background(), c, emptySource{}, 200, 500*time.Millisecond, 1)
	if r.Calls != 100 || r.Status["OK"] != 100 {
		t.Fatalf("calls %d, statuses %v; want 100 OK", r.Calls, r.Status)
	}
	// One call at a time, each at least 10 ms: call k (from 0), intended
	// at 5k ms, cannot finish before 10(k+1) ms, so its latency is at
	// least 5k+10 ms: the median at least 250 ms, the last at least 505 ms.
	// (Lower bounds only: how fast the machine is does not matter.)
	if r.Latency.P50 < 250 || r.Latency.Max < 505 || r.ServiceTime.P50 < 10 {
		t.Errorf("latency %+v, service time %+v: queueing behind the slow server is not counted", r.Latency, r.ServiceTime)
	}
	closed := closedLoop(context.Background(), c, emptySource{}, 1, 0, 20, nil)
	if closed.Calls != 20 || closed.Latency.P50 < 10 || closed.Latency != closed.ServiceTime {
		t.Errorf("closed loop: %d calls, latency %+v, service time %+v; want 20 calls of at least 10 ms, latency = service time",
			closed.Calls, closed.Latency, closed.ServiceTime)
	}
}

// TestRunShort runs the whole suite, tiny, against a real gRPC server in
// process, and checks that the report is complete and well formed; it says
// nothing about speed.
func TestRunShort(t *testing.T) {
	out := t.TempDir()
	o := Options{
		OutDir: out, Seed: 5, Members: 300, Pharmacies: 40, DrugPairs: 10, History: 300, Warmup: 100,
		Concurrency: []int{1, 8}, Rates: []float64{100, 200}, Repeat: 2,
		StepDuration: 300 * time.Millisecond, BaselineDuration: 150 * time.Millisecond,
		ScaleMembers: []int{200, 600}, ScaleEdits: []int{10, 1_000}, ScaleTLS: true, ScaleRate: 100, ScaleConcurrency: 8,
		MaxInFlight: 16, InProcess: true, Progress: testWriter{t}, Today: domain.DateOf(time.Now()),
	}
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := readReport(t, out)
	if len(got.Closed) != 2 || len(got.Open) != 2 || len(got.Scale) != 3 || got.Machine.Cores < 1 {
		t.Fatalf("report has %d closed, %d open steps, %d scale dimensions, machine %+v", len(got.Closed), len(got.Open), len(got.Scale), got.Machine)
	}
	checkSteps(t, got)
	checkBaselines(t, got)
	checkAnswers(t, got)
	checkScale(t, got)
	checkMarkdown(t, out)
	// The history was billed in process before the server started; the
	// warm-up's duplicates, reversals and rebills of it (checkAnswers)
	// show the server found it.
	if got.Setup.HistoryPath != historyInProcess || got.Setup.HistoryThroughput <= 0 {
		t.Errorf("history billed %q at %v claims/s, want %q", got.Setup.HistoryPath, got.Setup.HistoryThroughput, historyInProcess)
	}
	for _, d := range got.Scale {
		for _, c := range d.Cases {
			if len(c.Closed.Runs) != 2 || len(c.Open.Runs) != 2 {
				t.Errorf("scale %s case %+v: %d closed and %d open rounds, want 2", d.Name, c.Setup, len(c.Closed.Runs), len(c.Open.Runs))
			}
		}
	}
	if r == nil || len(got.Plots) != 4 {
		t.Fatalf("plots %v", got.Plots)
	}
	checkPlots(t, out, got.Plots)
	checkNoData(t, out)
}

// readReport reads dir/report.json.
func readReport(t *testing.T, dir string) Report {
	t.Helper()
	var got Report
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	return got
}

// checkSteps wants every claims step to have its figures, no errors and
// percentiles in order.
func checkSteps(t *testing.T, got Report) {
	t.Helper()
	for _, c := range append(got.Closed, got.Open...) {
		if c.Claims.Calls == 0 || c.Empty.Calls == 0 || c.Claims.Throughput <= 0 || c.ThroughputRatio <= 0 || c.Claims.CPUSecondsPerCall <= 0 {
			t.Errorf("step %+v: missing figures", c.Claims)
		}
		if len(c.Claims.Errors) > 0 || len(c.Empty.Errors) > 0 {
			t.Errorf("step %s/%d/%v: errors %v %v", c.Claims.Mode, c.Claims.Concurrency, c.Claims.OfferedRate, c.Claims.Errors, c.Empty.Errors)
		}
		if l := c.Claims.Latency; !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
			t.Errorf("latency percentiles out of order: %+v", l)
		}
	}
}

// checkBaselines wants every load step to carry its bare Pebble baseline,
// the ratios to it, and both rounds; and a verdict or "not measured" for
// each of issue 14's targets.
func checkBaselines(t *testing.T, got Report) {
	t.Helper()
	for _, c := range append(got.Closed, got.Open...) {
		if c.Bare == nil || c.Bare.Calls == 0 || len(c.Bare.Errors) > 0 || c.BareP99Ratio <= 0 || c.BareThroughputRatio <= 0 {
			t.Errorf("step %s/%d/%v: bare baseline %+v, ratios %v %v", c.Claims.Mode, c.Claims.Concurrency, c.Claims.OfferedRate, c.Bare, c.BareThroughputRatio, c.BareP99Ratio)
			continue
		}
		if c.Claims.Mode == "closed" && (c.Bare.CPUSecondsPerCall <= 0 || c.BareCPURatio <= 0) {
			t.Errorf("closed step %d: no CPU per bare transaction", c.Claims.Concurrency)
		}
		if len(c.Runs) != 2 {
			t.Errorf("step %s: %d rounds, want 2", c.Claims.Mode, len(c.Runs))
		}
	}
	if len(got.Targets) < 4 {
		t.Fatalf("targets: %+v", got.Targets)
	}
	for _, tg := range got.Targets {
		if tg.Verdict == "" {
			t.Errorf("target %q has no verdict", tg.Target)
		}
		if strings.Contains(tg.Target, "Active edits") && !strings.HasPrefix(tg.Verdict, "not measured") {
			t.Errorf("a run to 1,000 edits judged %q: %s", tg.Target, tg.Verdict)
		}
	}
}

// checkAnswers wants every answer the mix aims at to show up over the run.
func checkAnswers(t *testing.T, got Report) {
	t.Helper()
	status, rejects := got.Setup.Status, got.Setup.Rejects
	for _, c := range append(got.Closed, got.Open...) {
		for k, v := range c.Claims.Status {
			status[k] += v
		}
		for k, v := range c.Claims.Rejects {
			rejects[k] += v
		}
	}
	for _, s := range []string{"P", "R", "A", "D"} {
		if status[s] == 0 {
			t.Errorf("no claim answered %s: %v", s, status)
		}
	}
	for _, code := range []string{"52", "09", "69", "MR", "70", "40", "E7", "79"} {
		if rejects[code] == 0 {
			t.Errorf("no reject %s: %v", code, rejects)
		}
	}
}

// checkScale wants the members and edits dimensions related to their first case.
func checkScale(t *testing.T, got Report) {
	t.Helper()
	members := got.Scale[0]
	if members.Name != "members" || len(members.Cases) != 2 || members.Cases[0].RelThroughput != 1 || members.Cases[1].RelThroughput <= 0 {
		t.Errorf("members dimension: %+v", members)
	}
	if edits := got.Scale[1]; edits.Name != "edits" || len(edits.Cases) != 2 || edits.Cases[1].Edits != 1_000 || edits.Cases[1].RelCPU <= 0 {
		t.Errorf("edits dimension: %+v", edits)
	}
	tr := got.Scale[2]
	if tr.Name != "transport" || len(tr.Cases) != 2 || tr.Cases[0].Transport != "plaintext" || tr.Cases[1].Transport != "mutual TLS" ||
		tr.Cases[1].Closed.Claims.Calls == 0 || len(tr.Cases[1].Closed.Claims.Errors) > 0 || tr.Cases[1].RelThroughput <= 0 {
		t.Errorf("transport dimension: %+v", tr)
	}
	for _, c := range members.Cases { // every case says where its memory was
		if m := c.Closed.Claims.Memory; m == nil || m.GoSysBytes <= 0 || m.GoHeapInUseBytes <= 0 || m.GoHeapLiveBytes <= 0 || m.MemtableBytes <= 0 || m.FamilyEntries <= 0 {
			t.Errorf("%d members: server memory %+v", c.Members, m)
		}
	}
}

// checkMarkdown wants every section in dir/report.md.
func checkMarkdown(t *testing.T, dir string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Capacity", "bare Pebble", "min–max over the rounds", "## Closed loop", "## Open loop", "Rejects by NCPDP code", "## Scale: members", "## Scale: edits", "## Scale: transport", "| mutual TLS |", "Server memory at the end of each case", "## Targets"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

// checkPlots wants every plot to be a PNG.
func checkPlots(t *testing.T, dir string, plots []string) {
	t.Helper()
	for _, name := range plots {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		f.Close()
	}
}

// checkNoData wants no run to have left its store or bundle behind (the
// default, without KeepData).
func checkNoData(t *testing.T, dir string) {
	t.Helper()
	runs, err := filepath.Glob(filepath.Join(dir, "run-*"))
	if err != nil || len(runs) == 0 {
		t.Fatalf("no run folders: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run-bare")); !os.IsNotExist(err) {
		t.Errorf("the bare Pebble baseline's store was left behind (%v)", err)
	}
	for _, run := range runs {
		for _, gone := range []string{"data", "bundle.json"} {
			if _, err := os.Stat(filepath.Join(run, gone)); !os.IsNotExist(err) {
				t.Errorf("%s: %s left behind (%v)", run, gone, err)
			}
		}
	}
}

// TestRender reads a report back and recomputes the capacity line for
// another bound.
func TestRender(t *testing.T) {
	dir := t.TempDir()
	step := func(rate, p99 float64) Comparison {
		return Comparison{Claims: StepResult{Mode: "open", OfferedRate: rate, Throughput: rate, Calls: 100, Latency: Latency{P50: 1, P90: 2, P99: p99, P999: p99, Max: p99}, CPUSecondsPerCall: 0.001}}
	}
	r := &Report{Machine: Machine{Cores: 2}, Capacity: Capacity{P99BoundMs: 2}, Open: []Comparison{step(100, 1.5), step(200, 30), step(400, 300)}}
	r.Capacity = capacity(r.Open, 2, 2)
	if r.Capacity.Rate != 100 || r.Capacity.PerCore != 50 || r.Capacity.PerCPUSecond != 1000 {
		t.Fatalf("capacity at 2 ms: %+v", r.Capacity)
	}
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Render(dir, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got.Capacity.Rate != 200 || got.Capacity.P99BoundMs != 50 {
		t.Errorf("capacity at 50 ms: %+v", got.Capacity)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), got.Capacity.Text) {
		t.Errorf("report.md lacks the new capacity line %q", got.Capacity.Text)
	}
}

// TestOneStepReport: a run of one concurrency step, one rate and
// one-case scale curves (concurrency 1 and history 0 put the only point
// at 1 on a log axis) still gets every plot, report.json and report.md.
func TestOneStepReport(t *testing.T) {
	for _, c := range []int{1, 64} {
		dir := t.TempDir()
		r := &Report{Machine: Machine{Cores: 2}, Capacity: Capacity{P99BoundMs: 50},
			Closed: []Comparison{{Claims: StepResult{Mode: "closed", Concurrency: c, Throughput: 3000}, Empty: StepResult{Throughput: 15000}}},
			Open:   []Comparison{{Claims: StepResult{Mode: "open", OfferedRate: 1000, Throughput: 1000, Latency: Latency{P50: 3, P90: 5, P99: 10, P999: 20}}}},
			Scale: []Dimension{
				{Name: "members", Cases: []ScaleCase{{Members: c, RelThroughput: 1, RelCPU: 1, RelP99: 1}}},
				{Name: "history", Cases: []ScaleCase{{Members: c, History: 0, RelThroughput: 1, RelCPU: 1, RelP99: 1}}},
			},
		}
		r.Capacity = capacity(r.Open, 50, 2)
		if err := r.write(dir); err != nil {
			t.Fatalf("concurrency %d: %v", c, err)
		}
		got := readReport(t, dir)
		if len(got.Plots) != 4 || len(got.PlotErrors) > 0 {
			t.Errorf("concurrency %d: plots %v, errors %v", c, got.Plots, got.PlotErrors)
		}
		checkPlots(t, dir, got.Plots)
		if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
			t.Error(err)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// TestProgress draws a bar on a terminal and plain lines otherwise.
func TestProgress(t *testing.T) {
	var bar lockedBuffer
	var plain strings.Builder
	p := newProgress(Options{Progress: &bar, Terminal: true}, "history", 200)
	p.set(100)
	p.finish(200)
	if !strings.Contains(bar.String(), "200 / 200") || !strings.Contains(bar.String(), "history") {
		t.Errorf("terminal progress:\n%q", bar.String())
	}
	p = newProgress(Options{Progress: &plain}, "history", 200)
	p.set(100)
	p.finish(200)
	if got := plain.String(); got != "bench: history: 200 claims\n" && !strings.HasPrefix(got, "bench: history: 200 claims\nbench: history: 200 / 200 claims (100 %)") {
		t.Errorf("plain progress:\n%s", got)
	}
}

// TestBucketQuantile: the p99 of a step from two readings of the server's
// cumulative histogram buckets, as Prometheus's histogram_quantile gives it.
func TestBucketQuantile(t *testing.T) {
	before := map[float64]float64{0.001: 50, 0.005: 90, 0.01: 100, math.Inf(1): 100}
	after := map[float64]float64{0.001: 50, 0.005: 90 + 800, 0.01: 100 + 900, math.Inf(1): 100 + 1000}
	// 1,000 observations in the step: 800 in (1 ms, 5 ms], 100 in (5, 10], 100 above.
	for _, c := range []struct{ q, want float64 }{{0.4, 3}, {0.85, 7.5}, {0.99, 10}} {
		if got := bucketQuantile(c.q, before, after); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q %v: %v ms, want %v", c.q, got, c.want)
		}
	}
	if got := bucketQuantile(0.99, after, after); got != 0 {
		t.Errorf("no observations: %v", got)
	}
}

func TestBucketMax(t *testing.T) {
	// The runtime's pause buckets as Prometheus gets them: a decade apart.
	bounds := []float64{8.192e-05, 0.000917504, 0.01048576, 0.117440512, math.Inf(1)}
	hist := func(counts ...float64) map[float64]float64 { // per-bucket counts, made cumulative
		m, sum := map[float64]float64{}, 0.0
		for i, le := range bounds {
			sum += counts[i]
			m[le] = sum
		}
		return m
	}
	before := hist(5, 3, 1, 0, 0)
	for _, c := range []struct {
		after []float64
		want  float64
	}{
		{[]float64{5, 3, 1, 0, 0}, 0},          // nothing in the step
		{[]float64{6, 6, 1, 0, 0}, 0.917504},   // four pauses, the longest under 0.918 ms
		{[]float64{6, 6, 2, 0, 0}, 10.48576},   // one of 0.918 to 10.5 ms
		{[]float64{5, 3, 1, 0, 1}, 117.440512}, // above the last finite bound: that bound
		{[]float64{5, 3, 1, 1, 0}, 117.440512}, // one of 10.5 to 117 ms
	} {
		if got := bucketMax(before, hist(c.after...)); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("bucketMax(%v) = %v ms, want %v", c.after, got, c.want)
		}
	}
}
