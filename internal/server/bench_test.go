package server_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// BenchmarkGRPC compares durable Bill calls with an empty RPC (the health
// check) over one loopback connection, 64 calls in flight, client and
// server in one process sharing the CPUs, in plaintext and with mutual
// TLS:
//
//	go test ./internal/server -run '^$' -bench GRPC -benchtime 20000x
func BenchmarkGRPC(b *testing.B) {
	cfg := demo.Config()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	parallelism := max(1, 64/runtime.GOMAXPROCS(0))
	for _, transport := range []string{"plaintext", "mtls"} {
		b.Run(transport, func(b *testing.B) {
			e, _ := scenario.NewEngine(b, cfg, b.TempDir(), func() time.Time { return now })
			var pki *servertest.PKI
			if transport == "mtls" {
				pki = servertest.NewPKI(b)
			}
			addr, _ := serve(b, e, pki)
			var conn *grpc.ClientConn
			if pki != nil {
				conn = pki.Dial(b, addr, "bench")
			} else {
				conn = dial(b, addr)
			}
			b.Run("empty", func(b *testing.B) {
				hc := healthpb.NewHealthClient(conn)
				b.SetParallelism(parallelism)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			})
			b.Run("bill", func(b *testing.B) {
				scenario.BenchBills(b, client.NewClaims(conn), demo.CoveredClaims(cfg, domain.DateOf(now)))
			})
		})
	}
}
