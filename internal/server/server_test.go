package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/server"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRun starts the whole server as the binary does and checks the RPC
// boundary: status codes for unusable requests, health, graceful stop, and
// that no member identity reaches the logs or the metrics.
func TestRun(t *testing.T) {
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{
			GRPCAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", DataDir: t.TempDir(),
			Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Now:       func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) },
			Listening: func(g, m net.Addr) { addrs <- [2]net.Addr{g, m} },
		})
	}()
	var a [2]net.Addr
	select {
	case a = <-addrs:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	conn, err := grpc.NewClient(a[0].String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	claims := pb.NewClaimsServiceClient(conn)

	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "rxclaims.v1.ClaimsService"})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", h, err)
	}

	claim := &pb.Claim{
		Bin: demo.BIN, ProcessorControlNumber: demo.PCN, CardholderId: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "555", ProductId: demo.DemoGenericNDC,
		QuantityDispensed: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomaryCharge: "30.00",
		GrossAmountDue: "30.00", PharmacyNpi: demo.DemoPharmacyNPI, PrescriberNpi: demo.DemoPrescriberNPI,
	}
	r, err := claims.Bill(ctx, &pb.BillRequest{Claim: claim})
	if err != nil || r.GetResult().GetTransactionStatus() != "P" {
		t.Fatalf("bill: %v %v", r, err)
	}
	wrongDOB := proto.Clone(claim).(*pb.Claim)
	wrongDOB.RxNumber, wrongDOB.DateOfBirth = "556", "1999-01-01"
	if r, err := claims.Bill(ctx, &pb.BillRequest{Claim: wrongDOB}); err != nil || r.GetResult().GetRejects()[0].GetCode() != "09" {
		t.Fatalf("bill with wrong date of birth: %v %v", r, err)
	}

	for _, tc := range []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"bill without claim", func() error { _, err := claims.Bill(ctx, &pb.BillRequest{}); return err }, codes.InvalidArgument},
		{"rebill without claim", func() error { _, err := claims.Rebill(ctx, &pb.RebillRequest{}); return err }, codes.InvalidArgument},
		{"reverse without reversal", func() error { _, err := claims.Reverse(ctx, &pb.ReverseRequest{}); return err }, codes.InvalidArgument},
		{"oversized field", func() error {
			big := proto.Clone(claim).(*pb.Claim)
			big.RxNumber = strings.Repeat("9", 100)
			_, err := claims.Bill(ctx, &pb.BillRequest{Claim: big})
			return err
		}, codes.InvalidArgument},
		{"benefits for nobody", func() error {
			_, err := claims.GetBenefits(ctx, &pb.GetBenefitsRequest{CardholderId: "NOBODY", PersonCode: "001", DateOfBirth: "1980-01-01"})
			return err
		}, codes.NotFound},
		{"benefits without member", func() error { _, err := claims.GetBenefits(ctx, &pb.GetBenefitsRequest{}); return err }, codes.InvalidArgument},
	} {
		if got := status.Code(tc.call()); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}

	resp, err := http.Get("http://" + a[1].String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	for _, want := range []string{
		`rxclaims_claims_total{status="P",transaction="B1"} 1`,
		`rxclaims_rejects_total{code="09",transaction="B1"} 1`,
		`rxclaims_adjudication_duration_seconds_bucket`,
		`rxclaims_store_commit_duration_seconds_count 1`,
		`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Bill"`,
		`grpc_server_handling_seconds_bucket`,
		`rxclaims_cache_hits_total{cache="families"}`,
		`rxclaims_store_disk_usage_bytes`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, phi := range []string{demo.DemoCardholder, demo.DemoSubscriberDOB, "1999-01-01"} {
		if strings.Contains(metrics, phi) {
			t.Errorf("/metrics carries member data %q", phi)
		}
		if strings.Contains(logs.String(), phi) {
			t.Errorf("the logs carry member data %q", phi)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no graceful shutdown in the logs:\n%s", logs)
	}
}
