// Package server runs the adjudicator as a gRPC service: it opens the store,
// starts the engine on the configuration it is given (Options.Config),
// serves ClaimsService, AdminService and EnrollmentService with health
// checking, reflection, metrics, logging and panic recovery, and shuts down
// gracefully (health NOT_SERVING, drain, stop, close the store last).
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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/buildinfo"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/metricshttp"
	"github.com/rxclaims/rxclaims/internal/store"
)

// Options configure Run.
type Options struct {
	GRPCAddr    string // default ":50051"
	MetricsAddr string // default ":9102"; "-" disables the metrics listener
	DataDir     string // required: the Pebble store directory
	// Config is the configuration to start on: required.
	Config ConfigSource
	Logger *slog.Logger
	// Now is the engine's clock; default time.Now.
	Now func() time.Time
	// ShutdownTimeout bounds the graceful drain; default 20s.
	ShutdownTimeout time.Duration
	// Listening, when set, is called with the bound addresses once serving.
	Listening func(grpcAddr, metricsAddr net.Addr)
	// PolicyFile is the policy that grants callers their roles
	// (internal/authz). Without one, every caller has every role: the
	// development mode, said loudly at start.
	PolicyFile string
	// RequirePolicy refuses to start without PolicyFile (TLS mode).
	RequirePolicy bool
}

func (o Options) withDefaults() (Options, error) {
	if o.GRPCAddr == "" {
		o.GRPCAddr = ":50051"
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = ":9102"
	}
	if o.DataDir == "" {
		return o, errors.New("server: a data directory is required")
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

// Run serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, o Options) error {
	opts, err := o.withDefaults()
	if err != nil {
		return err
	}
	log := opts.Logger
	policy, err := loadPolicy(opts, log)
	if err != nil {
		return err
	}
	reg, m := newRegistry()
	st, err := store.Open(store.Options{Dir: opts.DataDir, ObserveCommit: m.ObserveCommit, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing store", "error", err)
		}
	}()
	metrics.RegisterStore(reg, st)
	engine, err := openEngine(ctx, st, opts, log)
	if err != nil {
		return err
	}
	seq, head := st.AuditHead()
	log.Info("audit trail", "entries", seq, "head", head.String())
	m.ConfigLoaded(time.Now())

	lis, err := net.Listen("tcp", opts.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc listener: %w", err)
	}
	srv := New(engine, Config{Metrics: m, Registerer: reg, Logger: log, Policy: policy})
	metricsAddr, stopMetrics, err := metricshttp.Serve(opts.MetricsAddr, reg, log)
	if err != nil {
		lis.Close()
		return err
	}
	defer stopMetrics()
	return serve(ctx, srv, lis, metricsAddr, opts)
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
	case opts.RequirePolicy:
		return nil, errors.New("server: a policy file (--policy) is required with TLS: without one every caller would have every role")
	}
	log.Warn("DEVELOPMENT MODE: no policy file (--policy), so every caller has every role; never run this way with real data")
	return authz.AllowAll(), nil
}

// newRegistry returns the process's metrics registry: Go runtime, process,
// build information and the adjudicator's own metrics.
func newRegistry() (*prometheus.Registry, *metrics.Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.Collector(buildinfo.Read()))
	return reg, metrics.New(reg)
}

// serve runs srv on lis until ctx ends (then drains it) or it fails.
func serve(ctx context.Context, srv *Server, lis net.Listener, metricsAddr net.Addr, opts Options) error {
	log := opts.Logger
	serveErr := make(chan error, 1)
	srv.markServing() // before the log line that says so
	go func() { serveErr <- srv.Serve(lis) }()
	log.Info("serving", "grpc", lis.Addr().String(), "metrics", fmt.Sprint(metricsAddr), "version", buildinfo.Version())
	if opts.Listening != nil {
		opts.Listening(lis.Addr(), metricsAddr)
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
