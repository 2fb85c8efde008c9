package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/internal/server"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Run builds the population, bills its history (in process before the
// server starts, or through it), starts a fresh adjudicator on it, bills
// the warm-up through it, measures the closed- and open-loop steps
// against the empty RPC, runs the scale cases, and writes report.json,
// report.md and the plots into OutDir.
func Run(ctx context.Context, o Options) (*Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	removeBinary, err := prepareBinary(ctx, &o)
	if err != nil {
		return nil, err
	}
	defer removeBinary()
	r := &Report{
		Command:  o.Command,
		Date:     time.Now().UTC().Format(time.DateOnly),
		Machine:  machine(),
		CPUScope: "server process",
	}
	r.LoadAverage[0] = loadAverage()
	if o.InProcess {
		r.CPUScope = "client and server (one process)"
	}

	s, err := startSession(ctx, o, "load", spec{members: o.Members, history: o.History, steps: (len(o.Concurrency) + len(o.Rates)) * o.Repeat})
	if err != nil {
		return nil, err
	}
	r.Setup = s.setup
	cfg := s.pop.Config
	r.Workload = Workload{
		Seed: o.Seed, Members: s.pop.Members(), Families: s.pop.Families(), Pharmacies: len(cfg.Pharmacies), Drugs: len(cfg.Drugs),
		Plans: len(cfg.Plans), History: o.History, Warmup: o.Warmup, Conns: o.Conns, MaxInFlight: o.MaxInFlight,
		Steps: fmt.Sprintf("%s s of claims after %s s of empty RPCs, then %s s of the bare Pebble baseline", num(o.StepDuration.Seconds()), num(o.BaselineDuration.Seconds()), num(o.StepDuration.Seconds())), Mix: mixShares(),
	}
	r.Workload.Rounds = o.Repeat
	r.Closed, r.Open, err = s.rounds(ctx)
	if cerr := s.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	r.Capacity = capacity(r.Open, float64(o.P99Bound)/float64(time.Millisecond), r.Machine.Cores)

	for _, dim := range []struct {
		name   string
		values []int
		spec   func(int) spec
	}{
		{"members", o.ScaleMembers, func(n int) spec { return spec{members: n} }},
		{"history", o.ScaleHistory, func(n int) spec { return spec{members: o.ScaleHistoryMembers, history: n} }},
		{"edits", o.ScaleEdits, func(n int) spec { return spec{members: o.Members, edits: n} }},
		{"transport", transportCases(o.ScaleTLS), func(n int) spec { return spec{members: o.Members, tls: n == 1} }},
	} {
		if len(dim.values) == 0 {
			continue
		}
		d, err := scaleDimension(ctx, o, dim.name, dim.values, dim.spec, func(d Dimension) error {
			partial := *r
			partial.Scale = append(slices.Clone(r.Scale), d)
			partial.Targets = targets(&partial)
			partial.LoadAverage[1] = loadAverage()
			return partial.write(o.OutDir)
		})
		if err != nil {
			return nil, err
		}
		r.Scale = append(r.Scale, d)
	}
	r.Targets = targets(r)
	r.LoadAverage[1] = loadAverage()
	return r, r.write(o.OutDir)
}

// prepareBinary builds cmd/adjudicator into a temporary directory when the
// run starts the real binary and o names none; remove deletes it.
func prepareBinary(ctx context.Context, o *Options) (remove func(), err error) {
	if o.InProcess || o.AdjudicatorBin != "" {
		return func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "bench-adjudicator-")
	if err != nil {
		return nil, err
	}
	progressf(*o, "building cmd/adjudicator")
	if o.AdjudicatorBin, err = BuildAdjudicator(ctx, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return func() { os.RemoveAll(tmp) }, nil
}

// write saves the plots, report.json and report.md. A plot that cannot be
// drawn is named in the report (PlotErrors) and costs nothing else.
func (r *Report) write(dir string) error {
	plots, err := writePlots(r, dir)
	r.Plots, r.PlotErrors = plots, nil
	if err != nil {
		r.PlotErrors = strings.Split(err.Error(), "\n")
	}
	if err := r.WriteJSON(filepath.Join(dir, "report.json")); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644)
}

// scaleDimension measures one case per value on a fresh server each, in
// Options.Repeat rounds of its closed- and open-loop steps (the median
// round, with the min–max), and relates every case to the first. done is
// called with the dimension so far after each case, so a long run's
// report shows every case measured even if a later one never ends.
func scaleDimension(ctx context.Context, o Options, name string, values []int, specOf func(int) spec, done func(Dimension) error) (Dimension, error) {
	d := Dimension{Name: name}
	for i, v := range values {
		sp := specOf(v)
		sp.steps = 2 * o.Repeat
		progressf(o, "scale %s: %s members, %s claims of history, %s synthetic edits", name, count(sp.members), count(sp.history), count(sp.edits))
		s, err := startSession(ctx, o, fmt.Sprintf("%s-%d", name, i), sp)
		if err != nil {
			return d, err
		}
		c := ScaleCase{Members: s.pop.Members(), History: sp.history, Edits: sp.edits, Setup: s.setup}
		if name == "transport" {
			c.Transport = map[bool]string{false: "plaintext", true: "mutual TLS"}[sp.tls]
		}
		var closed, open []Comparison
		for round := 0; round < o.Repeat && err == nil; round++ {
			var cl, op Comparison
			if cl, err = s.closed(ctx, o.ScaleConcurrency, o.StepDuration, o.BaselineDuration); err == nil {
				op, err = s.open(ctx, o.ScaleRate, o.StepDuration, o.BaselineDuration)
			}
			closed, open = append(closed, cl), append(open, op)
		}
		if cerr := s.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return d, err
		}
		c.Closed = median(closed, func(c Comparison) float64 { return c.ThroughputRatio })
		c.Open = median(open, func(c Comparison) float64 { return c.Claims.Latency.P99 })
		first := c
		if len(d.Cases) > 0 {
			first = d.Cases[0]
		}
		c.RelThroughput = ratio(c.Closed.Claims.Throughput, first.Closed.Claims.Throughput)
		c.RelCPU = ratio(c.Closed.Claims.CPUSecondsPerCall, first.Closed.Claims.CPUSecondsPerCall)
		c.RelP99 = ratio(c.Open.Claims.Latency.P99, first.Open.Claims.Latency.P99)
		c.RelRatio = ratio(c.Closed.ThroughputRatio, first.Closed.ThroughputRatio)
		d.Cases = append(d.Cases, c)
		if err := done(d); err != nil {
			return d, err
		}
	}
	return d, nil
}

// transportCases are the cases of the transport dimension: plaintext (0)
// then mutual TLS (1), or none.
func transportCases(on bool) []int {
	if on {
		return []int{0, 1}
	}
	return nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// expectedRate is a generous guess at claims per second, to spread the
// measured steps' dates over their last 60 days.
const expectedRate = 4000

// session is a fresh server on a population, with a client and the mix.
type session struct {
	o      Options
	dir    string // run-NAME under OutDir
	pop    *Population
	srv    *adjudicatorServer
	conns  []*grpc.ClientConn
	client *client
	gen    *lockedGenerator
	setup  Setup
}

// spec is what a session's server holds before measuring: members,
// claims of history and synthetic edits; steps is how many claims steps
// will follow; tls serves (and calls) with mutual TLS.
type spec struct {
	members, history, edits, steps int
	tls                            bool
}

// seedInProcess seeds the store with the history in process (from the
// seed cache when there is one) and reads it once into the page cache.
func (s *session) seedInProcess(ctx context.Context, data, bundle, historyWhat string, history, window int) error {
	if history > 0 {
		s.gen.g.SetPhase(s.pop.Today.AddDays(-HistoryDays), float64(history)/365)
	}
	seed := func() error { return s.seedHistory(ctx, data, bundle, historyWhat, history) }
	if s.o.SeedCache != "" {
		seed = func() error { return s.seedHistoryCached(ctx, data, bundle, historyWhat, history, window) }
	}
	if err := seed(); err != nil {
		return err
	}
	return warmPageCache(data)
}

// startSession writes the population's bundle, starts a server on it with
// a fresh data directory under OutDir, connects, and bills the history and
// warm-up claims through it.
func startSession(ctx context.Context, o Options, name string, sp spec) (*session, error) {
	history := sp.history
	pop, err := NewPopulation(PopulationOptions{Seed: o.Seed, Members: sp.members, Pharmacies: o.Pharmacies, DrugPairs: o.DrugPairs, Today: o.Today, Edits: sp.edits})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.OutDir, "run-"+name)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &session{o: o, pop: pop, dir: dir}
	bundle := filepath.Join(dir, "bundle.json")
	if s.setup.BundleBytes, err = writeBundle(bundle, pop.Config); err != nil {
		return nil, err
	}
	pop.Config.Families = nil // the server has them now; keep the client small
	var sec server.Security
	var dial dialer.Options
	if sp.tls {
		if sec, dial, err = mutualTLS(filepath.Join(dir, "pki")); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	window := 2 * max(o.MaxInFlight, o.ScaleConcurrency, 64)
	for _, c := range o.Concurrency {
		window = max(window, 2*c)
	}
	s.gen = &lockedGenerator{g: NewGenerator(pop, o.Seed, window)}

	// The calendar: history over the year to 100 days ago, warm-up over the
	// 40 days after, and the measured steps from 60 days ago on, about as
	// many claims a day as the steps will send in all, so prescriptions
	// come due for refills throughout; dates stop at today.
	today := pop.Today
	historyWhat := fmt.Sprintf("history (%s members)", count(sp.members))
	// In process, the store is seeded before the server starts also when
	// there is no history to bill: then every case starts on a store whose
	// configuration is written and whose compactions are settled, and none
	// spends its measured steps flushing and compacting the families of a
	// bundle the server wrote at its start (a million members' are 512 MB).
	if !o.HistoryThroughServer {
		if err := s.seedInProcess(ctx, data, bundle, historyWhat, history, window); err != nil {
			s.close()
			return nil, err
		}
	}
	if err := s.startServer(ctx, data, bundle, sec, dial); err != nil {
		s.close()
		return nil, err
	}
	if history > 0 && o.HistoryThroughServer {
		s.gen.g.SetPhase(today.AddDays(-HistoryDays), float64(history)/365)
		start, clientCPU := time.Now(), ownCPUSeconds()
		before, err := s.srv.stats(ctx)
		if err == nil {
			err = s.bill(ctx, historyWhat, history)
		}
		var after processStats
		if err == nil {
			after, err = s.srv.stats(ctx)
		}
		if err != nil {
			s.close()
			return nil, err
		}
		s.setup.HistorySeconds = time.Since(start).Seconds()
		s.setup.HistoryCPUPerClaim = (after.cpuSeconds - before.cpuSeconds + ownCPUSeconds() - clientCPU) / float64(history)
		s.setup.HistoryThroughput = float64(history) / s.setup.HistorySeconds
		s.setup.HistoryPath = historyThroughServer
	}
	if o.Warmup > 0 {
		s.gen.g.SetPhase(today.AddDays(-100), float64(o.Warmup)/40)
		if err := s.bill(ctx, "warm-up", o.Warmup); err != nil {
			s.close()
			return nil, err
		}
	}
	s.gen.g.SetPhase(today.AddDays(-60), max(100, float64(sp.steps)*o.StepDuration.Seconds()*expectedRate/60))
	return s, nil
}

// startServer starts the server on the data directory and bundle,
// connects to it and waits until it serves.
func (s *session) startServer(ctx context.Context, data, bundle string, sec server.Security, dial dialer.Options) error {
	var err error
	if s.o.InProcess {
		s.srv, err = startInProcess(ctx, data, bundle, s.o.Logger, sec)
	} else {
		s.srv, err = startProcess(ctx, s.o.AdjudicatorBin, data, bundle, filepath.Join(s.dir, "adjudicator.log"), sec)
	}
	if err != nil {
		return err
	}
	s.setup.ServerStartSeconds = s.srv.started.Seconds()
	for range s.o.Conns {
		conn, err := dialer.Dial(s.srv.grpcAddr, dial)
		if err != nil {
			return err
		}
		s.conns = append(s.conns, conn)
	}
	s.client = newClient(s.conns)
	return s.waitServing(ctx)
}

// bill sends n claims of the mix through the server at concurrency 64, or
// the server's bound on claims in flight if lower, showing progress; any
// gRPC error stops it.
func (s *session) bill(ctx context.Context, what string, n int) error {
	ps, err := s.srv.stats(ctx)
	if err != nil {
		return err
	}
	concurrency := 64
	if ps.claimLimit > 0 {
		concurrency = min(concurrency, int(ps.claimLimit))
	}
	return s.billWith(ctx, s.client, concurrency, what, n)
}

// seedHistory bills n history claims of the mix with the engine in this
// process on the store in dataDir, before any server opens it (seed.go),
// at concurrency 64 on all cores, and closes the store durably.
func (s *session) seedHistory(ctx context.Context, dataDir, bundle, what string, n int) error {
	engine, st, err := seedOpen(ctx, dataDir, bundle)
	if err != nil {
		return err
	}
	// Timed from the first claim to the store settled, synced and closed; seeding
	// the configuration (a server's start on an empty store) is not.
	start, cpu := time.Now(), ownCPUSeconds()
	if n > 0 {
		err = s.billWith(ctx, engineSender{engine}, 64, what, n)
	}
	if err == nil {
		err = settleCompactions(ctx, st)
	}
	if cerr := seedClose(st, dataDir); err == nil {
		err = cerr
	}
	if err != nil || n == 0 {
		return err
	}
	s.setup.HistorySeconds = time.Since(start).Seconds()
	s.setup.HistoryThroughput = float64(n) / s.setup.HistorySeconds
	s.setup.HistoryCPUPerClaim = (ownCPUSeconds() - cpu) / float64(n)
	s.setup.HistoryPath = historyInProcess
	return nil
}

// billWith sends n claims of the mix to c at the given concurrency,
// showing progress, and adds their answers to the setup's; any error
// stops it.
func (s *session) billWith(ctx context.Context, c sender, concurrency int, what string, n int) error {
	var done atomic.Int64
	bar := newProgress(s.o, what, int64(n))
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				bar.set(done.Load())
			}
		}
	}()
	r := closedLoop(ctx, c, s.gen, concurrency, 0, int64(n), &done)
	close(stop)
	bar.finish(done.Load())
	for _, m := range []struct {
		dst *map[string]int64
		src map[string]int64
	}{{&s.setup.Status, r.Status}, {&s.setup.Rejects, r.Rejects}} {
		if *m.dst == nil {
			*m.dst = map[string]int64{}
		}
		for k, v := range m.src {
			(*m.dst)[k] += v
		}
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("bench: %s: answered errors: %s", what, counts(r.Errors))
	}
	return ctx.Err()
}

func (s *session) waitServing(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc := healthpb.NewHealthClient(s.conns[0])
	for {
		r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: the adjudicator is not serving: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// measured runs step and adds the server's CPU per call and memory.
func (s *session) measured(ctx context.Context, step func() StepResult) (StepResult, error) {
	before, err := s.srv.stats(ctx)
	if err != nil {
		return StepResult{}, err
	}
	clientBefore := ownCPUSeconds()
	r := step()
	clientCPU := ownCPUSeconds() - clientBefore
	after, err := s.srv.stats(ctx)
	if err != nil {
		return r, err
	}
	if r.Calls > 0 {
		r.CPUSecondsPerCall = (after.cpuSeconds - before.cpuSeconds) / float64(r.Calls)
		if !s.srv.inProcess {
			r.ClientCPUSecondsPerCall = clientCPU / float64(r.Calls)
		}
	}
	if n := after.engineN - before.engineN; n > 0 {
		r.EngineMeanMs = 1000 * (after.engineSeconds - before.engineSeconds) / n
	}
	if n := after.commitN - before.commitN; n > 0 {
		r.CommitMeanMs = 1000 * (after.commitSeconds - before.commitSeconds) / n
	}
	r.EngineP99Ms = bucketQuantile(0.99, before.engineBuckets, after.engineBuckets)
	r.CommitP99Ms = bucketQuantile(0.99, before.commitBuckets, after.commitBuckets)
	r.SchedP99Ms = bucketQuantile(0.99, before.schedBuckets, after.schedBuckets)
	r.GCPauseMaxMs = bucketMax(before.gcPauseBuckets, after.gcPauseBuckets)
	r.GCPauses = observations(before.gcPauseBuckets, after.gcPauseBuckets)
	r.RSSBytes = after.rssBytes
	if m := after.memory; m.GoSysBytes > 0 {
		r.Memory = &m
	}
	return r, ctx.Err()
}

// rounds runs Options.Repeat rounds of the closed- and open-loop steps,
// each followed by its bare Pebble baseline (on a store of its own under
// OutDir, removed afterwards), and returns each step's median round:
// closed loop by the ratio to the empty RPC, open loop by the claims' p99.
func (s *session) rounds(ctx context.Context) (closed, open []Comparison, err error) {
	o := s.o
	bare, err := openBareStore(filepath.Join(o.OutDir, "run-bare", "data"), o.Members)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if cerr := bare.close(); err == nil {
			err = cerr
		}
		_ = os.Remove(filepath.Join(o.OutDir, "run-bare"))
	}()
	var pg *pgStore
	if o.PostgresDSN != "" {
		progressf(o, "bare PostgreSQL store: %s members' documents", count(o.Members))
		if pg, err = openPGStore(ctx, o.PostgresDSN, slices.Max(append([]int{1}, o.Concurrency...)), o.Members); err != nil {
			return nil, nil, err
		}
		defer func() {
			if cerr := pg.close(context.WithoutCancel(ctx)); err == nil {
				err = cerr
			}
		}()
	}
	closedRounds := make([][]Comparison, len(o.Concurrency))
	openRounds := make([][]Comparison, len(o.Rates))
	for round := range o.Repeat {
		for i, c := range o.Concurrency {
			progressf(o, "round %d of %d: closed loop at concurrency %d (empty RPC, claims, bare Pebble transaction)", round+1, o.Repeat, c)
			cmp, err := s.closed(ctx, c, o.StepDuration, o.BaselineDuration)
			if err != nil {
				return nil, nil, err
			}
			cmp = cmp.withBare(bare.txn(ctx, c, o.StepDuration))
			if pg != nil {
				r := pg.txn(ctx, c, o.StepDuration)
				cmp.BarePostgres, cmp.BarePostgresRatio = &r, ratio(cmp.Claims.Throughput, r.Throughput)
			}
			closedRounds[i] = append(closedRounds[i], cmp)
		}
		for i, rate := range o.Rates {
			progressf(o, "round %d of %d: open loop at %s/s (empty RPC, claims, bare synced commit)", round+1, o.Repeat, num(rate))
			cmp, err := s.open(ctx, rate, o.StepDuration, o.BaselineDuration)
			if err != nil {
				return nil, nil, err
			}
			openRounds[i] = append(openRounds[i], cmp.withBare(bare.commit(ctx, rate, o.StepDuration, o.MaxInFlight)))
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
	}
	for _, rs := range closedRounds {
		closed = append(closed, median(rs, func(c Comparison) float64 { return c.ThroughputRatio }))
	}
	for _, rs := range openRounds {
		open = append(open, median(rs, func(c Comparison) float64 { return c.Claims.Latency.P99 }))
	}
	return closed, open, nil
}

// closed measures the empty RPC, then claims, closed loop at concurrency c.
func (s *session) closed(ctx context.Context, c int, d, baseline time.Duration) (Comparison, error) {
	empty, err := s.measured(ctx, func() StepResult { return closedLoop(ctx, s.client, emptySource{}, c, baseline, 0, nil) })
	if err != nil {
		return Comparison{}, err
	}
	claims, err := s.measured(ctx, func() StepResult { return closedLoop(ctx, s.client, s.gen, c, d, 0, nil) })
	return compare(claims, empty), err
}

// open measures the empty RPC, then claims, open loop at rate.
func (s *session) open(ctx context.Context, rate float64, d, baseline time.Duration) (Comparison, error) {
	empty, err := s.measured(ctx, func() StepResult { return openLoop(ctx, s.client, emptySource{}, rate, baseline, s.o.MaxInFlight) })
	if err != nil {
		return Comparison{}, err
	}
	claims, err := s.measured(ctx, func() StepResult { return openLoop(ctx, s.client, s.gen, rate, d, s.o.MaxInFlight) })
	return compare(claims, empty), err
}

// close disconnects, stops the server and, unless Options.KeepData,
// removes its store and bundle.
func (s *session) close() error {
	var errs []error
	for _, c := range s.conns {
		errs = append(errs, c.Close())
	}
	if s.srv != nil {
		errs = append(errs, s.srv.stop())
	}
	if !s.o.KeepData {
		errs = append(errs, os.RemoveAll(filepath.Join(s.dir, "data")), os.RemoveAll(filepath.Join(s.dir, "bundle.json")), os.RemoveAll(filepath.Join(s.dir, "pki")))
	}
	return errors.Join(errs...)
}

// ownCPUSeconds is this process's user and system CPU time.
func ownCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func progressf(o Options, format string, args ...any) {
	fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...)
}

// Render reads dir/report.json and writes its Markdown, plots and JSON
// again, with the capacity line recomputed for p99Bound (zero keeps the
// report's bound) and the targets recomputed: for a report written by an
// older version, or to read the same run against another bound.
func Render(dir string, p99Bound time.Duration) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return nil, err
	}
	r := new(Report)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "report.json"), err)
	}
	bound := r.Capacity.P99BoundMs
	if p99Bound > 0 {
		bound = float64(p99Bound) / float64(time.Millisecond)
	}
	r.Capacity = capacity(r.Open, bound, max(r.Machine.Cores, 1))
	r.Targets = targets(r)
	return r, r.write(dir)
}
