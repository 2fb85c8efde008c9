// Package server runs the adjudicator as a gRPC service: it opens the store,
// starts the engine on the configuration it is given (Options.Config),
// serves ClaimsService on one listener and AdminService and
// EnrollmentService on another, with TLS and authenticated callers (or, in
// development mode, plaintext on loopback), health checking (also on a
// plaintext health-only listener for probes), metrics, logging, panic
// recovery and limits, and shuts down gracefully (health NOT_SERVING,
// drain, stop, close the store last).
//
// The package never chooses a configuration itself: cmd/adjudicator decides
// between a bundle file and the built-in demo data. The domain-typed
// clients of these services are in internal/client.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/buildinfo"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/metricshttp"
	"github.com/rxclaims/rxclaims/internal/store"
)

// Options configure Run.
type Options struct {
	GRPCAddr  string // ClaimsService; default ":50051"
	AdminAddr string // AdminService and EnrollmentService; default ":50052"
	// HealthAddr serves nothing but grpc.health.v1, in plaintext, for
	// probes without a client certificate; default ":50053"; "-" disables it.
	HealthAddr  string
	MetricsAddr string // default ":9102"; "-" disables the metrics listener
	// Pprof serves Go's runtime profiles under /debug/pprof/ on the
	// metrics listener (metricshttp.Serve).
	Pprof bool
	// Security: TLS material and how callers authenticate; none is
	// development mode (plaintext, loopback only).
	Security Security
	Limits   Limits
	DataDir  string // the Pebble store directory: required unless StoreDSN is set
	// StoreDSN, when set, is a PostgreSQL database (postgres://…) that
	// holds the state instead of the Pebble store: several servers may
	// share it (internal/store/pgstore).
	StoreDSN string
	// Config is the configuration to start on: required.
	Config ConfigSource
	Logger *slog.Logger
	// Now is the engine's clock; default time.Now.
	Now func() time.Time
	// AfterRetroStep is adjudicator.Options.AfterRetroStep (a crash test's hook).
	AfterRetroStep func()
	// ShutdownTimeout bounds the graceful drain; default 20s.
	ShutdownTimeout time.Duration
	// BackupDir is the root OperatorService.CreateBackup writes backups
	// under: an existing directory outside DataDir. Empty turns backups off.
	BackupDir string
	// Listening, when set, is called with the bound addresses once serving.
	Listening func(Addrs)
	// PolicyFile is the policy that grants callers their roles
	// (internal/authz). Without one, a development-mode server gives every
	// caller every role, said loudly at start; a TLS server refuses to
	// start without one.
	PolicyFile string
	// MaxClaimsInFlight bounds the ClaimsService calls in flight; 0 is
	// DefaultMaxClaimsInFlight.
	MaxClaimsInFlight int
	// RetroPoll is how often the retro runner looks for jobs; 0 is
	// adjudicator.DefaultRetroPoll.
	RetroPoll time.Duration
	// StoreFS is the store's filesystem; nil is the operating system's.
	// Tests inject storage faults with it.
	StoreFS vfs.FS
	// Caches size the store's caches and memtable; zero values take the
	// store's defaults (store.Options).
	Caches Caches
}

// Caches size the store's memory: with the Go heap they bound the
// server's resident memory.
type Caches struct {
	BlockCacheBytes   int64  // Pebble's block cache for the working set, on top of the memtables
	MemTableBytes     uint64 // one Pebble memtable
	FamilyCacheSize   int    // families kept decoded
	DocumentCacheSize int    // accumulator documents kept (encoded)
	SummaryCacheBytes int64  // members' history summaries kept (encoded), in bytes
	// WALSyncInterval is store.Options.WALMinSyncInterval: 0 the store's
	// default, negative no spacing.
	WALSyncInterval time.Duration
}

// Addrs are the bound addresses; Health and Metrics are nil when disabled.
type Addrs struct {
	GRPC, Admin, Health, Metrics net.Addr
}

func (o Options) withDefaults() (Options, error) {
	if o.GRPCAddr == "" {
		o.GRPCAddr = ":50051"
	}
	if o.AdminAddr == "" {
		o.AdminAddr = ":50052"
	}
	if o.HealthAddr == "" {
		o.HealthAddr = ":50053"
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = ":9102"
	}
	if o.DataDir == "" && o.StoreDSN == "" {
		return o, errors.New("server: a data directory or a database is required")
	}
	if o.Config.Load == nil {
		return o, errors.New("server: a configuration is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 20 * time.Second
	}
	return o, nil
}

// Run serves until ctx is cancelled, then shuts down gracefully. It
// returns an error if the store failed or could not be closed in time.
func Run(ctx context.Context, o Options) (err error) {
	opts, err := o.withDefaults()
	if err != nil {
		return err
	}
	log := opts.Logger
	policy, err := loadPolicy(opts, log)
	if err != nil {
		return err
	}
	backupDir, err := backupRoot(opts)
	if err != nil {
		return err
	}
	reg, m := newRegistry()
	creds, authenticator, err := opts.Security.Transport(metrics.NewAuth(reg), log)
	if err != nil {
		return err
	}
	binds, err := opts.binds()
	if err != nil {
		return err
	}
	opts.Security.announce(log, binds)
	st, err := openStore(ctx, opts, reg, m, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeStore(st, log)) }()
	engine, err := openEngine(ctx, st.engineStore, opts, log)
	if err != nil {
		return err
	}
	if r, ok := st.engineStore.(interface{ LargeWritesReleased() }); ok {
		r.LargeWritesReleased() // Pebble lets go of the families' batch
	}
	releaseStartupGarbage()
	seq, head := st.AuditHead()
	log.Info("audit trail", "entries", seq, "head", head.String())
	m.ConfigLoaded(time.Now())
	metrics.RegisterIDClock(reg, func() (time.Duration, uint64) {
		c := engine.ClockStats()
		return c.Behind, c.Beyond
	}, adjudicator.MaxClockOffset)

	lis, err := listen(binds)
	if err != nil {
		return err
	}
	defer closeListeners(lis)
	srv := New(engine, Config{Metrics: m, Registerer: reg, Logger: log, Creds: creds, Authenticator: authenticator,
		Reflection: opts.Security.Reflection, Limits: opts.Limits, Backups: st.backups, BackupDir: backupDir,
		Policy: policy, MaxClaimsInFlight: opts.MaxClaimsInFlight,
		Retro: adjudicator.RetroRunnerOptions{Poll: opts.RetroPoll}})
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go st.watch(watchCtx, srv)
	if st.follow != nil {
		go st.follow(watchCtx, engine, m)
	}
	metricsAddr, stopMetrics, err := metricshttp.Serve(opts.MetricsAddr, reg, log, opts.Pprof)
	if err != nil {
		return err
	}
	defer stopMetrics()
	return serve(ctx, srv, lis, metricsAddr, opts)
}

// backupRoot is opts.BackupDir checked and made absolute; empty when unset.
func backupRoot(opts Options) (string, error) {
	if opts.BackupDir == "" {
		return "", nil
	}
	return store.CheckBackupRoot(opts.BackupDir, opts.DataDir)
}

// bind is a gRPC address to listen on, and the flag that gave it.
type bind struct{ flag, addr string }

// binds are the claims, admin and health addresses to listen on, as the
// security mode allows (an error, before anything is opened, when it
// refuses one); the health address is empty when disabled.
func (o Options) binds() ([3]bind, error) {
	b := [3]bind{{"--grpc-addr", o.GRPCAddr}, {"--admin-addr", o.AdminAddr}, {"--health-addr", o.HealthAddr}}
	if o.HealthAddr == "-" {
		b[2].addr = ""
	}
	for i := range b {
		if b[i].addr == "" {
			continue
		}
		addr, err := o.Security.listenAddr(b[i].flag, b[i].addr)
		if err != nil {
			return b, err
		}
		b[i].addr = addr
	}
	return b, nil
}

// listen binds the claims, admin and health addresses.
func listen(b [3]bind) (Listeners, error) {
	var l Listeners
	for i, dst := range []*net.Listener{&l.Claims, &l.Admin, &l.Health} {
		if b[i].addr == "" {
			continue
		}
		lis, err := net.Listen("tcp", b[i].addr)
		if err != nil {
			closeListeners(l)
			return l, fmt.Errorf("%s: %w", b[i].flag, err)
		}
		*dst = lis
	}
	return l, nil
}

// closeListeners closes l's listeners (those already served are closed,
// and say so).
func closeListeners(l Listeners) {
	for _, lis := range []net.Listener{l.Claims, l.Admin, l.Health} {
		if lis != nil {
			lis.Close()
		}
	}
}

// loadPolicy reads the policy file, or, in development mode without one,
// grants every caller every role and says so.
func loadPolicy(opts Options, log *slog.Logger) (*authz.Policy, error) {
	switch {
	case opts.PolicyFile != "":
		p, err := authz.Load(opts.PolicyFile)
		if err != nil {
			return nil, err
		}
		log.Info("policy loaded", "file", opts.PolicyFile)
		return p, nil
	case !opts.Security.Development():
		return nil, errors.New("server: a policy file (--policy) is required with TLS: without one every caller would have every role")
	}
	log.Warn("DEVELOPMENT MODE: no policy file (--policy), so every caller has every role; never run this way with real data")
	return authz.AllowAll(), nil
}

// newRegistry returns the process's metrics registry: Go runtime, process,
// build information and the adjudicator's own metrics. The Go runtime's
// scheduler metrics include go_sched_latencies_seconds (how long a runnable
// goroutine waited for a processor) and go_sched_pauses_total_gc_seconds
// (the collector's stop-the-world pauses): where a claim's p99 goes when
// the commit itself is fast (bench/README.md, "Latency at 1,000 claims/s").
func newRegistry() (*prometheus.Registry, *metrics.Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler, heapLiveAndGoal)), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.Collector(buildinfo.Read()))
	return reg, metrics.New(reg)
}

// heapLiveAndGoal adds go_gc_heap_live_bytes (the heap the last
// collection found alive: what the caches and the rest really hold) and
// go_gc_heap_goal_bytes (where the next collection starts). The heap in
// use (go_memstats_heap_inuse_bytes) also counts the garbage not yet
// collected, up to GOGC's factor of the live heap.
var heapLiveAndGoal = collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/(live|goal):bytes$`)}

// serve runs srv on lis until ctx ends (then drains it) or it fails.
func serve(ctx context.Context, srv *Server, lis Listeners, metricsAddr net.Addr, opts Options) error {
	log := opts.Logger
	serveErr := make(chan error, 1)
	srv.markServing() // before the log line that says so
	go func() { serveErr <- srv.Serve(lis) }()
	addrs := Addrs{GRPC: lis.Claims.Addr(), Admin: lis.Admin.Addr(), Metrics: metricsAddr}
	if lis.Health != nil {
		addrs.Health = lis.Health.Addr()
	}
	log.Info("serving", "grpc", addrs.GRPC.String(), "admin", addrs.Admin.String(), "health", fmt.Sprint(addrs.Health),
		"metrics", fmt.Sprint(metricsAddr), "version", buildinfo.Version())
	if opts.Listening != nil {
		opts.Listening(addrs)
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("grpc server: %w", err)
	}
	log.Info("shutting down")
	if !srv.Shutdown(opts.ShutdownTimeout) {
		log.Warn("graceful stop timed out; stopping")
	}
	return nil
}
