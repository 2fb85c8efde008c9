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

	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
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
	ctx := context.Background()
	srv := startRun(t, logs)
	conn, err := grpc.NewClient(srv.grpc.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	claims := pb.NewClaimsServiceClient(conn)

	for _, service := range []string{"", "rxclaims.v1.ClaimsService", "rxclaims.v1.AdminService", "rxclaims.v1.EnrollmentService"} {
		h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health of %q: %v %v", service, h, err)
		}
	}
	claim := pbDemoClaim()
	checkBills(t, claims, claim)
	checkStatusCodes(t, claims, claim)
	metrics := checkMetrics(t, srv.metrics)

	srv.cancel()
	if err := <-srv.done; err != nil {
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

// running is a server.Run in progress.
type running struct {
	grpc, metrics net.Addr
	cancel        context.CancelFunc
	done          chan error
}

// startRun runs server.Run on the demo data, logging JSON at debug level
// to logs, and waits until it serves.
func startRun(t *testing.T, logs io.Writer) *running {
	t.Helper()
	return startRunWith(t, logs, nil)
}

// startRunWith is startRun with options changed by set (when not nil).
func startRunWith(t *testing.T, logs io.Writer, set func(*server.Options)) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addrs := make(chan [2]net.Addr, 1)
	r := &running{cancel: cancel, done: make(chan error, 1)}
	o := server.Options{
		GRPCAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", DataDir: t.TempDir(), Config: servertest.Demo(),
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) },
		Listening: func(g, m net.Addr) { addrs <- [2]net.Addr{g, m} },
	}
	if set != nil {
		set(&o)
	}
	go func() { r.done <- server.Run(ctx, o) }()
	select {
	case a := <-addrs:
		r.grpc, r.metrics = a[0], a[1]
	case err := <-r.done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return r
}

// pbDemoClaim is a demo member's claim that pays.
func pbDemoClaim() *pb.Claim {
	return &pb.Claim{
		Bin: demo.BIN, ProcessorControlNumber: demo.PCN, CardholderId: demo.DemoCardholder, PersonCode: demo.DemoSubscriberCode,
		DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "555", ProductId: demo.DemoGenericNDC,
		QuantityDispensed: "30", DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomaryCharge: "30.00",
		GrossAmountDue: "30.00", PharmacyNpi: demo.DemoPharmacyNPI, PrescriberNpi: demo.DemoPrescriberNPI,
	}
}

// checkBills bills claim (paid) and the claim with a wrong date of birth
// (rejected 09).
func checkBills(t *testing.T, claims pb.ClaimsServiceClient, claim *pb.Claim) {
	t.Helper()
	ctx := context.Background()
	r, err := claims.Bill(ctx, &pb.BillRequest{Claim: claim})
	if err != nil || r.GetResult().GetTransactionStatus() != "P" {
		t.Fatalf("bill: %v %v", r, err)
	}
	wrongDOB := proto.Clone(claim).(*pb.Claim)
	wrongDOB.RxNumber, wrongDOB.DateOfBirth = "556", "1999-01-01"
	if r, err := claims.Bill(ctx, &pb.BillRequest{Claim: wrongDOB}); err != nil || r.GetResult().GetRejects()[0].GetCode() != "09" {
		t.Fatalf("bill with wrong date of birth: %v %v", r, err)
	}
}

// checkStatusCodes checks the status codes of unusable requests.
func checkStatusCodes(t *testing.T, claims pb.ClaimsServiceClient, claim *pb.Claim) {
	t.Helper()
	ctx := context.Background()
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
}

// scrape returns the /metrics page at addr.
func scrape(t *testing.T, addr net.Addr) string {
	t.Helper()
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(body)
}

func grpcInsecure() grpc.DialOption { return grpc.WithTransportCredentials(insecure.NewCredentials()) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// checkMetrics reads /metrics at addr, checks the series the calls above
// leave, and returns the page.
func checkMetrics(t *testing.T, addr net.Addr) string {
	t.Helper()
	metrics := scrape(t, addr)
	for _, want := range []string{
		`rxclaims_claims_total{status="P",transaction="B1"} 1`,
		`rxclaims_rejects_total{code="09",transaction="B1"} 1`,
		`rxclaims_adjudication_duration_seconds_bucket`,
		`rxclaims_store_commit_duration_seconds_count 1`,
		`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="Bill"`,
		`grpc_server_handling_seconds_bucket`,
		`rxclaims_cache_hits_total{cache="families"}`,
		`rxclaims_store_disk_usage_bytes`,
		`rxclaims_build_info{goversion="`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	return metrics
}

// TestUserMetadataKey: the client sends the acting user under the key the
// server reads.
func TestUserMetadataKey(t *testing.T) {
	if server.UserMetadataKey != client.UserMetadataKey {
		t.Fatalf("server reads %q, client sends %q", server.UserMetadataKey, client.UserMetadataKey)
	}
}
