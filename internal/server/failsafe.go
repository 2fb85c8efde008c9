package server

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/store"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// Failing safe (DESIGN.md, decision 11): claims in flight are bounded and
// the excess is answered at once; a storage failure turns health
// NOT_SERVING.

// DefaultMaxClaimsInFlight is the default bound on ClaimsService calls in
// flight: 16 per core for the claims' CPU work plus 32 that wait on the
// disk, since one synced commit (group commit) holds every claim of its
// group; 64 on 2 cores. Measured on 2 cores (bench/README.md, Overload):
// throughput is flat from 16 to 256 claims in flight while p99 grows with
// the queue (27 ms at 16, about 100 ms at 64, 485 ms at 256); the bound
// keeps p99 and memory bounded under any offered load.
func DefaultMaxClaimsInFlight() int { return 16*runtime.GOMAXPROCS(0) + 32 }

// claimsPrefix is the method prefix of the calls the bound covers.
var claimsPrefix = "/" + pb.ClaimsService_ServiceDesc.ServiceName + "/"

// claimLimit bounds the ClaimsService calls in flight. A call beyond the
// bound is answered ResourceExhausted before any work: nothing is read or
// written, so the switch may retry it at once on another server or after
// a backoff. AdminService, EnrollmentService and health are not bounded.
type claimLimit struct {
	max      int64
	inFlight atomic.Int64
	metrics  *metrics.Load // nil without a registerer
}

func newClaimLimit(max int, c Config) *claimLimit {
	if max <= 0 {
		max = DefaultMaxClaimsInFlight()
	}
	l := &claimLimit{max: int64(max)}
	if c.Registerer != nil {
		l.metrics = metrics.NewLoad(c.Registerer, func() float64 { return float64(l.inFlight.Load()) }, max)
	}
	return l
}

// options are the claims server's options of the bound: the tap that
// sheds a call as its headers arrive when the bound is reached (no
// goroutine, no decoding, no interceptor: shedding stays cheap when it
// matters), and the interceptor, innermost, that admits calls exactly.
func (l *claimLimit) options() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.InTapHandle(l.tap), grpc.ChainUnaryInterceptor(l.unary)}
}

// tap runs in the connection's reader for every new call: at the bound it
// answers a claims call ResourceExhausted at once. Calls already past it
// are admitted or shed by unary, which holds the count.
func (l *claimLimit) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if l.inFlight.Load() < l.max {
		return ctx, nil
	}
	if method, isClaim := strings.CutPrefix(info.FullMethodName, claimsPrefix); isClaim {
		return ctx, l.shed(method)
	}
	return ctx, nil
}

// shed counts a shed call and returns its status.
func (l *claimLimit) shed(method string) error {
	if l.metrics != nil {
		l.metrics.Shed(method)
	}
	return status.Errorf(codes.ResourceExhausted,
		"overloaded: %d claims in flight; nothing was done, retry after a backoff", l.max)
}

// unary is the interceptor: it admits a claims call if the bound allows,
// and counts calls answered after their caller gave up.
func (l *claimLimit) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method, isClaim := strings.CutPrefix(info.FullMethod, claimsPrefix)
	if !isClaim {
		return handler(ctx, req)
	}
	if l.inFlight.Add(1) > l.max {
		l.inFlight.Add(-1)
		return nil, l.shed(method)
	}
	defer l.inFlight.Add(-1)
	resp, err := handler(ctx, req)
	if err == nil && ctx.Err() != nil && l.metrics != nil {
		l.metrics.Late(method)
	}
	return resp, err
}

// markServing sets the health of the server and of each service to
// SERVING, unless the store has failed.
func (s *Server) markServing() {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	if s.storeFailed {
		return
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, name := range services {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
}

// setDatabaseReachable sets health SERVING when the shared database
// answers, NOT_SERVING while it does not (a store that recovers by
// itself, unlike a failed Pebble store).
func (s *Server) setDatabaseReachable(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	if s.storeFailed || s.databaseDown == !ok {
		return
	}
	s.databaseDown = !ok
	s.health.SetServingStatus("", st)
	for _, name := range services {
		s.health.SetServingStatus(name, st)
	}
}

// markStoreFailed sets every health status to NOT_SERVING for good.
func (s *Server) markStoreFailed() {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	s.storeFailed = true
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	for _, name := range services {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
	}
}

// watchStore turns health NOT_SERVING as soon as st fails, until ctx ends.
func watchStore(ctx context.Context, st *store.Store, srv *Server) {
	select {
	case <-st.FailedC():
		srv.markStoreFailed()
	case <-ctx.Done():
	}
}

// closeStore closes st and returns its failure or the close's: the
// process then exits non-zero.
func closeStore(st interface{ Close() error }, log *slog.Logger) error {
	err := st.Close()
	if err != nil {
		log.Error("closing store", "error", err)
	}
	return err
}
