package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/metrics"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// Config configures New. Every field but Policy may be nil.
type Config struct {
	Metrics    *metrics.Metrics      // the adjudication metrics ClaimsService records
	Registerer prometheus.Registerer // where the gRPC server metrics are registered
	Logger     *slog.Logger          // default slog.Default()
	// Policy grants callers their roles: required (authz.AllowAll for
	// development mode). New panics without one, so that no server runs
	// without authorization by omission.
	Policy *authz.Policy
}

// Server is the gRPC server with every service of the adjudicator:
// ClaimsService, AdminService, EnrollmentService, health and reflection.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
}

// services are the adjudicator's own services, by name for the health
// service.
var services = []string{
	pb.ClaimsService_ServiceDesc.ServiceName,
	pb.AdminService_ServiceDesc.ServiceName,
	pb.EnrollmentService_ServiceDesc.ServiceName,
}

// New builds the gRPC server over engine: ClaimsService, AdminService,
// EnrollmentService, health (NOT_SERVING until Serve), reflection, and
// interceptors for metrics, logging and panic recovery. It is the one place
// the server is put together; Run and the tests use it.
func New(engine *adjudicator.Engine, c Config) *Server {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	srvMetrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1}),
	))
	if c.Registerer != nil {
		c.Registerer.MustRegister(srvMetrics)
	}
	if c.Policy == nil {
		panic("server.New: a policy is required (authz.AllowAll in development mode)")
	}
	authorize := &authorizer{policy: c.Policy, audit: engine, metrics: c.Metrics, log: log, now: time.Now}
	s := grpc.NewServer(interceptors(srvMetrics, authorize, log)...)
	pb.RegisterClaimsServiceServer(s, newClaimsService(engine, c.Metrics, log))
	pb.RegisterAdminServiceServer(s, newAdminService(engine, log))
	pb.RegisterEnrollmentServiceServer(s, newEnrollmentService(engine, log))
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	srvMetrics.InitializeMetrics(s)
	return &Server{grpc: s, health: hs}
}

// interceptors are the unary and stream interceptor chains: metrics,
// logging (unary calls), panic recovery, authentication (the caller's
// identity), then authorization and audit.
func interceptors(srvMetrics *grpcprom.ServerMetrics, authorize *authorizer, log *slog.Logger) []grpc.ServerOption {
	onPanic := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p))
		return status.Error(codes.Internal, "internal error")
	})
	// The logging interceptor records method, code and duration only: never
	// payloads, which carry member data.
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(
			srvMetrics.UnaryServerInterceptor(),
			logging.UnaryServerInterceptor(logger, logging.WithLogOnEvents(logging.FinishCall), logging.WithLevels(callLevel)),
			recovery.UnaryServerInterceptor(onPanic),
			developmentUnary, // authentication: sets the auth.Identity
			authorize.unary,
		),
		grpc.ChainStreamInterceptor(
			srvMetrics.StreamServerInterceptor(),
			recovery.StreamServerInterceptor(onPanic),
			developmentStream, // authentication: sets the auth.Identity
			authorize.stream,
		),
	}
}

// Methods lists the full method names ("/package.Service/Method") of
// every service the server serves, health and reflection included.
func (s *Server) Methods() []string {
	var out []string
	for name, info := range s.grpc.GetServiceInfo() {
		for _, m := range info.Methods {
			out = append(out, "/"+name+"/"+m.Name)
		}
	}
	slices.Sort(out)
	return out
}

// markServing sets the health of the server and of each service to SERVING.
func (s *Server) markServing() {
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range services {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
}

// Serve marks every service SERVING and serves on lis until the server
// stops.
func (s *Server) Serve(lis net.Listener) error {
	s.markServing()
	return s.grpc.Serve(lis)
}

// GracefulStop sets health NOT_SERVING and waits for in-flight calls to
// finish.
func (s *Server) GracefulStop() {
	s.health.Shutdown()
	s.grpc.GracefulStop()
}

// Stop closes every connection at once.
func (s *Server) Stop() { s.grpc.Stop() }

// Shutdown stops gracefully, or at once after timeout; it reports whether
// the graceful stop finished in time.
func (s *Server) Shutdown(timeout time.Duration) bool {
	stopped := make(chan struct{})
	go func() { s.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
		return true
	case <-time.After(timeout):
		s.Stop()
		return false
	}
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
