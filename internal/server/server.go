// Package server runs the adjudicator as a gRPC service: it opens the store,
// loads the configuration, serves ClaimsService and AdminService with health checking,
// reflection, metrics, logging and panic recovery, and shuts down
// gracefully (health NOT_SERVING, drain, stop, close the store last).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/store"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// Options configure Run.
type Options struct {
	GRPCAddr    string // default ":50051"
	MetricsAddr string // default ":9102"; "-" disables the metrics listener
	DataDir     string // required: the Pebble store directory
	ConfigPath  string // a YAML/JSON bundle; empty runs on the built-in demo data
	Logger      *slog.Logger
	// Now is the engine's clock; default time.Now.
	Now func() time.Time
	// ShutdownTimeout bounds the graceful drain; default 20s.
	ShutdownTimeout time.Duration
	// Listening, when set, is called with the bound addresses once serving.
	Listening func(grpcAddr, metricsAddr net.Addr)
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)

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
	m.ConfigLoaded(time.Now())

	lis, err := net.Listen("tcp", opts.GRPCAddr)
	if err != nil {
		return fmt.Errorf("grpc listener: %w", err)
	}
	grpcSrv, hs := NewGRPCServer(NewClaimsServer(engine, m, log), NewAdminServer(engine, log), reg, log)
	pb.RegisterEnrollmentServiceServer(grpcSrv, NewEnrollmentServer(engine, log))

	var metricsAddr net.Addr
	var httpSrv *http.Server
	if opts.MetricsAddr != "-" {
		mlis, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			lis.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		metricsAddr = mlis.Addr()
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := httpSrv.Serve(mlis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "error", err)
			}
		}()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- grpcSrv.Serve(lis) }()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(pb.ClaimsService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(pb.AdminService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(pb.EnrollmentService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	log.Info("serving", "grpc", lis.Addr().String(), "metrics", fmt.Sprint(metricsAddr))
	if opts.Listening != nil {
		opts.Listening(lis.Addr(), metricsAddr)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("grpc server: %w", err)
	}
	log.Info("shutting down")
	hs.Shutdown()
	stopped := make(chan struct{})
	go func() { grpcSrv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(opts.ShutdownTimeout):
		log.Warn("graceful stop timed out; stopping")
		grpcSrv.Stop()
	}
	if httpSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = httpSrv.Shutdown(sctx)
	}
	return nil
}

// openEngine starts the engine on the configuration kept in the store. A
// store without one is seeded from the bundle (or the demo data); a store
// with one imports the bundle, if given, on top (importing the same
// bundle again changes nothing).
func openEngine(ctx context.Context, st *store.Store, opts Options, log *slog.Logger) (*adjudicator.Engine, error) {
	stored, found, err := st.LoadConfig()
	if err != nil {
		return nil, err
	}
	engOpts := adjudicator.Options{Store: st, Configs: st, Now: opts.Now}
	if found {
		engine, err := adjudicator.New(stored, engOpts)
		if err != nil {
			return nil, fmt.Errorf("stored configuration: %w", err)
		}
		if opts.ConfigPath != "" {
			cfg, _, err := loadConfig(opts.ConfigPath)
			if err != nil {
				return nil, err
			}
			sum, err := engine.Import(ctx, cfg, "startup")
			if err != nil {
				return nil, fmt.Errorf("importing %s: %w", opts.ConfigPath, err)
			}
			log.Info("configuration bundle imported", "source", opts.ConfigPath, "plans", sum.Plans, "drugs", sum.Drugs,
				"edits_added", sum.EditsAdded, "edits_unchanged", sum.EditsUnchanged, "families", sum.Families)
		}
		log.Info("configuration loaded", "source", "store", "plans", len(stored.Plans), "edits", len(stored.Edits))
		return engine, nil
	}
	cfg, source, err := loadConfig(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	if err := st.PutFamilies(ctx, cfg.Families); err != nil {
		return nil, fmt.Errorf("loading families: %w", err)
	}
	engine, err := adjudicator.New(cfg, engOpts)
	if err != nil {
		return nil, err
	}
	c := engine.Configuration()
	all := c.Edits
	c.Edits = nil
	if err := st.SaveConfig(ctx, c, all); err != nil {
		return nil, err
	}
	log.Info("configuration loaded", "source", source, "plans", len(cfg.Plans), "drugs", len(cfg.Drugs),
		"pharmacies", len(cfg.Pharmacies), "families", len(cfg.Families), "edits", len(all))
	return engine, nil
}

func loadConfig(path string) (*config.Config, string, error) {
	if path == "" {
		return demo.Config(), "built-in demo data", nil
	}
	cfg, err := config.Load(path)
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		return nil, "", fmt.Errorf("loading %s: %w", path, err)
	}
	return cfg, path, nil
}

// NewGRPCServer builds the gRPC server: ClaimsService, AdminService (when
// admin is not nil), health (NOT_SERVING until the caller says otherwise),
// reflection, and interceptors for metrics, logging and panic recovery.
// reg and log may be nil.
func NewGRPCServer(claims pb.ClaimsServiceServer, admin pb.AdminServiceServer, reg prometheus.Registerer, log *slog.Logger) (*grpc.Server, *health.Server) {
	if log == nil {
		log = slog.Default()
	}
	srvMetrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1}),
	))
	if reg != nil {
		reg.MustRegister(srvMetrics)
	}
	onPanic := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p))
		return status.Error(codes.Internal, "internal error")
	})
	// The logging interceptor records method, code and duration only: never
	// payloads, which carry member data.
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	s := grpc.NewServer(
		grpc.ChainUnaryInterceptor(
			srvMetrics.UnaryServerInterceptor(),
			logging.UnaryServerInterceptor(logger, logging.WithLogOnEvents(logging.FinishCall), logging.WithLevels(callLevel)),
			recovery.UnaryServerInterceptor(onPanic),
		),
		grpc.ChainStreamInterceptor(
			srvMetrics.StreamServerInterceptor(),
			recovery.StreamServerInterceptor(onPanic),
		),
	)
	pb.RegisterClaimsServiceServer(s, claims)
	if admin != nil {
		pb.RegisterAdminServiceServer(s, admin)
	}
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	srvMetrics.InitializeMetrics(s)
	return s, hs
}

// callLevel logs successful calls at debug level, so a busy server's log
// holds only what needs attention.
func callLevel(c codes.Code) logging.Level {
	switch c {
	case codes.OK, codes.NotFound, codes.Canceled:
		return logging.LevelDebug
	case codes.InvalidArgument, codes.DeadlineExceeded, codes.FailedPrecondition, codes.PermissionDenied:
		return logging.LevelInfo
	}
	return logging.LevelError
}
