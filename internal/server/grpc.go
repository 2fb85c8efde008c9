package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/authn"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/metrics"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// Config configures New. Every field but Policy may be nil or zero.
type Config struct {
	Metrics    *metrics.Metrics      // the adjudication metrics ClaimsService records
	Registerer prometheus.Registerer // where the gRPC server metrics are registered
	Logger     *slog.Logger          // default slog.Default()
	// Backups and BackupDir serve OperatorService.CreateBackup: the store
	// and the backup root (absolute; store.CheckBackupRoot). Either unset
	// turns backups off.
	Backups   Backuper
	BackupDir string
	// Creds secures the claims and admin listeners (TLS); nil serves them
	// in plaintext (development mode).
	Creds credentials.TransportCredentials
	// Authenticator puts the caller's identity in every call's context
	// before any handler runs; nil is development mode (x-user).
	Authenticator *authn.Authenticator
	// UnaryAuthz and StreamAuthz run after authentication and before the
	// handler: the place of the authorization (policy) check. Nil allows
	// every authenticated call.
	UnaryAuthz  grpc.UnaryServerInterceptor
	StreamAuthz grpc.StreamServerInterceptor
	// Reflection registers the reflection service on the claims and admin
	// listeners (off unless asked for).
	Reflection bool
	Limits     Limits
	// Policy grants callers their roles: required (authz.AllowAll for
	// development mode). New panics without one, so that no server runs
	// without authorization by omission.
	Policy *authz.Policy
	// MaxClaimsInFlight bounds the ClaimsService calls in flight; 0 is
	// DefaultMaxClaimsInFlight (failsafe.go).
	MaxClaimsInFlight int
	// Retro configures the background runner of retro jobs (zero values
	// take its defaults: a poll every 10s).
	Retro adjudicator.RetroRunnerOptions
}

// Server is the adjudicator's gRPC servers: ClaimsService on the claims
// listener; AdminService and EnrollmentService on the admin listener, so a
// network policy can keep switches away from them; and a plaintext
// listener with nothing but the health service, for probes that cannot
// present a client certificate. Health is served on all three.
type Server struct {
	claims, admin, probes *grpc.Server
	health                *health.Server
	// healthMu orders markServing and markStoreFailed; storeFailed keeps
	// health NOT_SERVING once the store has failed (failsafe.go).
	healthMu    sync.Mutex
	storeFailed bool
	// databaseDown: the shared database does not answer (stores.go).
	databaseDown bool
	// retro runs the retro jobs in the background from Serve until the
	// server stops (retro.go).
	retro *retroRun
}

// Listeners are where a Server serves; a nil listener is not served.
type Listeners struct {
	Claims, Admin, Health net.Listener
}

// services are the adjudicator's own services, by name for the health
// service.
var services = []string{
	pb.ClaimsService_ServiceDesc.ServiceName,
	pb.AdminService_ServiceDesc.ServiceName,
	pb.EnrollmentService_ServiceDesc.ServiceName,
	pb.OperatorService_ServiceDesc.ServiceName,
}

// New builds the gRPC servers over engine: the services, health
// (NOT_SERVING until Serve), reflection when asked for, the limits, and
// interceptors for metrics, logging, panic recovery, the request timeout,
// authentication and authorization. It is the one place the servers are
// put together; Run and the tests use it.
func New(engine *adjudicator.Engine, c Config) *Server {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	if c.Authenticator == nil {
		c.Authenticator = authn.Development()
	}
	lim := c.Limits.withDefaults()
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
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)

	limit := newClaimLimit(c.MaxClaimsInFlight, c)
	claims := grpc.NewServer(append(c.serverOptions(srvMetrics, authorize, log, lim.MaxRecvMsgSize, lim.RequestTimeout), limit.options()...)...)
	pb.RegisterClaimsServiceServer(claims, newClaimsService(engine, c.Metrics, log))
	admin := grpc.NewServer(c.serverOptions(srvMetrics, authorize, log, lim.AdminMaxRecvMsgSize, lim.AdminRequestTimeout)...)
	pb.RegisterAdminServiceServer(admin, newAdminService(engine, log))
	pb.RegisterEnrollmentServiceServer(admin, newEnrollmentService(engine, log))
	pb.RegisterPriorAuthServiceServer(admin, newPriorAuthService(engine, log))
	if c.Retro.Logger == nil {
		c.Retro.Logger = log
	}
	retro := newRetroRun(adjudicator.NewRetroRunner(engine, c.Retro))
	pb.RegisterRetroServiceServer(admin, newRetroService(engine, retro.runner, log))
	pb.RegisterOperatorServiceServer(admin, newOperatorService(c.Backups, c.BackupDir, log))
	probes := grpc.NewServer(append(lim.transport(), grpc.MaxRecvMsgSize(4<<10))...)
	for _, s := range []*grpc.Server{claims, admin, probes} {
		healthpb.RegisterHealthServer(s, hs)
	}
	if c.Reflection {
		reflection.Register(claims)
		reflection.Register(admin)
	}
	srvMetrics.InitializeMetrics(claims)
	srvMetrics.InitializeMetrics(admin)
	return &Server{claims: claims, admin: admin, probes: probes, health: hs, retro: retro}
}

// serverOptions are an authenticated listener's options: credentials,
// limits and the interceptor chains.
func (c Config) serverOptions(srvMetrics *grpcprom.ServerMetrics, authorize *authorizer, log *slog.Logger, maxRecv int, timeout time.Duration) []grpc.ServerOption {
	opts := append(c.Limits.withDefaults().transport(), grpc.MaxRecvMsgSize(maxRecv), grpc.ForceServerCodecV2(newDecodeCodec()))
	if c.Creds != nil {
		opts = append(opts, grpc.Creds(c.Creds))
	}
	return append(opts, c.interceptors(srvMetrics, authorize, log, timeout)...)
}

// interceptors are the unary and stream interceptor chains, outermost
// first: metrics, logging (unary calls), panic recovery, the request
// timeout (unary), authentication (the caller's identity), authorization
// and audit, then the refusal of a request that did not decode and (unary)
// the bound on an error message's length.
func (c Config) interceptors(srvMetrics *grpcprom.ServerMetrics, authorize *authorizer, log *slog.Logger, timeout time.Duration) []grpc.ServerOption {
	onPanic := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p))
		return status.Error(codes.Internal, "internal error")
	})
	unary := []grpc.UnaryServerInterceptor{
		srvMetrics.UnaryServerInterceptor(),
		logCalls(log),
		recovery.UnaryServerInterceptor(onPanic),
		requestTimeout(timeout),
		c.Authenticator.Unary(),
	}
	stream := []grpc.StreamServerInterceptor{
		srvMetrics.StreamServerInterceptor(),
		recovery.StreamServerInterceptor(onPanic),
		c.Authenticator.Stream(),
	}
	unary = append(unary, authorize.unary, undecodable, boundMessages)
	stream = append(stream, authorize.stream, undecodableStream)
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...)}
}

// logCalls logs a finished unary call's method, code and duration at the
// level callLevel gives its code: never its payload, and never its error
// message, which may repeat member data from the request (a validation
// error naming a cardholder). A call whose level is not logged (every
// successful claim, at the default level) costs a clock read and no
// allocation.
func logCalls(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		code := status.Code(err)
		lvl := slog.Level(callLevel(code))
		if !log.Enabled(ctx, lvl) {
			return resp, err
		}
		service, method := splitMethod(info.FullMethod)
		log.LogAttrs(ctx, lvl, "finished call",
			slog.String("protocol", "grpc"), slog.String("grpc.component", "server"),
			slog.String("grpc.service", service), slog.String("grpc.method", method), slog.String("grpc.method_type", "unary"),
			slog.String("grpc.code", code.String()), slog.Float64("grpc.time_ms", float64(time.Since(start).Microseconds())/1000))
		return resp, err
	}
}

// splitMethod splits "/package.Service/Method".
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "unknown", full
}

// requestTimeout bounds a unary call to d, whatever deadline the caller
// gave (or none).
func requestTimeout(d time.Duration) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return handler(ctx, req)
	}
}

// Methods lists the full method names ("/package.Service/Method") of
// every service the server serves, health and reflection included.
func (s *Server) Methods() []string {
	var out []string
	for _, srv := range []*grpc.Server{s.claims, s.admin, s.probes} {
		for name, info := range srv.GetServiceInfo() {
			for _, m := range info.Methods {
				out = append(out, "/"+name+"/"+m.Name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Serve marks every service SERVING and serves on the listeners until the
// servers stop. When one listener fails, every server stops and Serve
// returns that error.
func (s *Server) Serve(l Listeners) error {
	s.markServing()
	s.retro.start()
	errs := make(chan error, 3)
	n := 0
	for _, p := range []struct {
		srv *grpc.Server
		lis net.Listener
	}{{s.claims, l.Claims}, {s.admin, l.Admin}, {s.probes, l.Health}} {
		if p.lis == nil {
			continue
		}
		n++
		go func() { errs <- p.srv.Serve(p.lis) }()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
			s.Stop()
		}
	}
	return first
}

// GracefulStop sets health NOT_SERVING and waits for in-flight calls to
// finish; the health-only listener stops last.
func (s *Server) GracefulStop() {
	s.health.Shutdown()
	s.retro.stop()
	var wg sync.WaitGroup
	for _, srv := range []*grpc.Server{s.claims, s.admin} {
		wg.Add(1)
		go func() { defer wg.Done(); srv.GracefulStop() }()
	}
	wg.Wait()
	s.probes.Stop()
}

// Stop closes every connection at once.
func (s *Server) Stop() {
	s.retro.stop()
	s.claims.Stop()
	s.admin.Stop()
	s.probes.Stop()
}

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
	case codes.InvalidArgument, codes.DeadlineExceeded, codes.FailedPrecondition, codes.PermissionDenied, codes.Unauthenticated:
		return logging.LevelInfo
	case codes.ResourceExhausted:
		return logging.LevelDebug // shed at the bound: counted by rxclaims_claims_shed_total
	case codes.Unavailable:
		// A storage failure is logged once where it happens, and an
		// unexpected error by engineStatus with its reference; each call
		// refused for it is only counted (grpc_server_handled_total), or a
		// failed store would write thousands of lines a second.
		return logging.LevelDebug
	}
	return logging.LevelError
}
