package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/authz"
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
	srv := startRun(t, logs, server.Security{})
	conn := dial(t, srv.addrs.GRPC.String())
	claims := pb.NewClaimsServiceClient(conn)

	for _, addr := range []net.Addr{srv.addrs.GRPC, srv.addrs.Admin, srv.addrs.Health} {
		for _, service := range []string{"", "rxclaims.v1.ClaimsService", "rxclaims.v1.AdminService", "rxclaims.v1.EnrollmentService"} {
			h, err := healthpb.NewHealthClient(dial(t, addr.String())).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
			if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("health of %q on %s: %v %v", service, addr, h, err)
			}
		}
	}
	claim := pbDemoClaim()
	checkBills(t, claims, claim)
	checkStatusCodes(t, claims, claim)
	checkEnrollmentErrorsNotLogged(t, pb.NewEnrollmentServiceClient(dial(t, srv.addrs.Admin.String())), logs)
	metrics := checkMetrics(t, srv.addrs.Metrics)

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
	addrs  server.Addrs
	cancel context.CancelFunc
	done   chan error
}

// dial returns a plaintext connection to addr, closed at the end of the test.
func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startRun runs server.Run on the demo data with sec, logging JSON at
// debug level to logs, and waits until it serves.
func startRun(t *testing.T, logs io.Writer, sec server.Security) *running {
	t.Helper()
	return startRunWith(t, logs, func(o *server.Options) {
		o.Security = sec
		if !sec.Development() { // TLS requires a policy: the tests' callers hold every role
			o.PolicyFile = servertest.Policy(t, map[string][]string{
				"alice": authz.Roles, "bob": authz.Roles, "switch": authz.Roles, "svc-author": authz.Roles})
		}
	})
}

// startRunWith is startRun with options changed by set (when not nil).
func startRunWith(t *testing.T, logs io.Writer, set func(*server.Options)) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addrs := make(chan server.Addrs, 1)
	r := &running{cancel: cancel, done: make(chan error, 1)}
	o := server.Options{
		GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", HealthAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		DataDir: t.TempDir(), Config: servertest.Demo(),
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) },
		Listening: func(a server.Addrs) { addrs <- a },
	}
	if set != nil {
		set(&o)
	}
	go func() { r.done <- server.Run(ctx, o) }()
	select {
	case r.addrs = <-addrs:
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
	if len(r.GetResult().GetTrace()) != 0 {
		t.Errorf("bill without the trace option answered a trace")
	}
	// The identical resubmission, asking for the trace: the original's,
	// kept with the claim, and the duplicate check's step.
	r, err = claims.Bill(ctx, &pb.BillRequest{Claim: claim, Trace: true})
	if trace := r.GetResult().GetTrace(); err != nil || r.GetResult().GetTransactionStatus() != "D" || len(trace) < 5 ||
		trace[0].GetStep() != "syntax" || trace[0].GetOutcome() != "all fields valid" ||
		!strings.HasPrefix(trace[len(trace)-1].GetOutcome(), "identical to paid claim ") {
		t.Fatalf("duplicate with its trace: %v %v", r, err)
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

// checkMetrics reads /metrics at addr, checks the series the calls above
// leave, and returns the page.
func checkMetrics(t *testing.T, addr net.Addr) string {
	t.Helper()
	metrics := readMetrics(t, addr)
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
		"rxclaims_id_clock_behind_seconds 0\n",
		"rxclaims_id_clock_skew_exceeded_total 0\n",
		"rxclaims_id_clock_bound_seconds 60\n",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	return metrics
}

// readMetrics returns the /metrics page at addr.
func readMetrics(t *testing.T, addr net.Addr) string {
	t.Helper()
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(body)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// checkEnrollmentErrorsNotLogged sends a family that does not validate:
// the error names its cardholder to the caller, but no log line carries
// it.
func checkEnrollmentErrorsNotLogged(t *testing.T, enroll pb.EnrollmentServiceClient, logs fmt.Stringer) {
	t.Helper()
	const cardholder, dob = "PHI0SECRET77", "1977-13-45"
	for name, fam := range map[string]*pb.FamilyRecord{
		"bad person code": {CardholderId: cardholder, GroupId: demo.DemoGroup, Members: []*pb.MemberRecord{{PersonCode: "1"}}},
		"person code twice": {CardholderId: cardholder, GroupId: demo.DemoGroup, Members: []*pb.MemberRecord{
			{PersonCode: "001", DateOfBirth: "1980-01-01"}, {PersonCode: "001", DateOfBirth: "1980-01-01"}}},
		"bad date of birth": {CardholderId: cardholder, GroupId: demo.DemoGroup, Members: []*pb.MemberRecord{{PersonCode: "001", DateOfBirth: dob}}},
		"unknown plan": {CardholderId: cardholder, GroupId: demo.DemoGroup, Members: []*pb.MemberRecord{{PersonCode: "001", DateOfBirth: "1980-01-01",
			Coverages: []*pb.CoverageRecord{{PlanId: "NOPLAN", Effective: "2026-01-01"}}}}},
	} {
		_, err := enroll.SyncFamilies(context.Background(), &pb.SyncFamiliesRequest{GroupId: demo.DemoGroup, Families: []*pb.FamilyRecord{fam}})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("%s: %v", name, err)
		}
		// The status message ends up in the caller's logs (the loader's).
		if msg := status.Convert(err).Message(); strings.Contains(msg, cardholder) || strings.Contains(msg, dob) || !strings.Contains(msg, "families[0]") {
			t.Errorf("%s: the status message carries member data or no position: %s", name, msg)
		}
	}
	if strings.Contains(logs.String(), cardholder) || strings.Contains(logs.String(), dob) {
		t.Fatalf("a log line carries the cardholder ID or birth date of a refused family:\n%s", logs)
	}
}

// TestUserMetadataKey: the client sends the acting user under the key the
// server reads.
func TestUserMetadataKey(t *testing.T) {
	if server.UserMetadataKey != client.UserMetadataKey {
		t.Fatalf("server reads %q, client sends %q", server.UserMetadataKey, client.UserMetadataKey)
	}
}
