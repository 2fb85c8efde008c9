package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/internal/store"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestStorageFailure runs the server on a filesystem that starts to answer
// ENOSPC to every write: the first claim that needs the disk fails the
// store; from then on health is NOT_SERVING, every claim is answered
// Unavailable, the failure shows in /metrics, and Run returns it when
// stopped, so the process exits non-zero.
func TestStorageFailure(t *testing.T) {
	var full atomic.Bool
	fs := errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if full.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
		}
		return nil
	}))
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{
			GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", HealthAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
			DataDir: t.TempDir(), Config: servertest.Demo(),
			Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: func() time.Time { return servertest.Now },
			Listening: func(a server.Addrs) { addrs <- [2]net.Addr{a.GRPC, a.Metrics} }, StoreFS: fs,
		})
	}()
	var a [2]net.Addr
	select {
	case a = <-addrs:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}
	conn, err := grpc.NewClient(a[0].String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	claims := pb.NewClaimsServiceClient(conn)
	claim := pbDemoClaim()
	if _, err := claims.Bill(ctx, &pb.BillRequest{Claim: claim}); err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	for i := range 3 {
		claim.RxNumber = fmt.Sprint(600 + i)
		if _, err := claims.Bill(ctx, &pb.BillRequest{Claim: claim}); status.Code(err) != codes.Unavailable {
			t.Fatalf("bill %d on a full disk: %v, want Unavailable", i, err)
		}
	}
	checkNotServing(t, conn)
	if m := scrape(t, a[1]); !strings.Contains(m, "\nrxclaims_store_failed 1\n") {
		t.Errorf("/metrics does not show the failure:\n%s", m)
	}
	cancel()
	if err := <-done; !errors.Is(err, store.ErrFailed) {
		t.Errorf("Run after a storage failure returned %v, want the failure", err)
	}
	if n := strings.Count(logs.String(), "storage failure"); n != 1 {
		t.Errorf("the failure is logged %d times, want once:\n%s", n, logs)
	}
}

// checkNotServing waits, a bounded number of times, for every health
// status to be NOT_SERVING.
func checkNotServing(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	hc := healthpb.NewHealthClient(conn)
	for _, service := range []string{"", "rxclaims.v1.ClaimsService", "rxclaims.v1.AdminService"} {
		for i := 0; ; i++ {
			h, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
			if err != nil {
				t.Fatal(err)
			}
			if h.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
				break
			}
			if i == 100 {
				t.Fatalf("health of %q still %s after the store failed", service, h.GetStatus())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func scrape(t *testing.T, addr net.Addr) string {
	t.Helper()
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
