package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/certs"
	"github.com/rxclaims/rxclaims/internal/cli"
	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/internal/servertest"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestHelpAndVersion: --help lists every flag with its environment
// variable, --version prints the version; both exit 0.
func TestHelpAndVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &out); !errors.Is(err, cli.ErrExited) {
		t.Fatalf("--help: %v", err)
	}
	for _, env := range []string{"RXCLAIMS_GRPC_ADDR", "RXCLAIMS_ADMIN_ADDR", "RXCLAIMS_HEALTH_ADDR", "RXCLAIMS_TLS_CERT", "RXCLAIMS_TLS_CLIENT_CA", "RXCLAIMS_JWKS", "RXCLAIMS_METRICS_ADDR", "RXCLAIMS_DATA_DIR", "RXCLAIMS_CONFIG", "RXCLAIMS_LOG_LEVEL", "RXCLAIMS_POLICY", "RXCLAIMS_BACKUP_DIR"} {
		if !strings.Contains(out.String(), "$"+env) {
			t.Errorf("--help lacks %s:\n%s", env, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"--version"}, &out, &out); !errors.Is(err, cli.ErrExited) || !strings.HasPrefix(out.String(), "adjudicator ") {
		t.Errorf("--version: %v %q", err, out.String())
	}
}

// TestFlagsWinOverEnvironment: a flag on the command line wins over its
// environment variable, which wins over the default.
func TestFlagsWinOverEnvironment(t *testing.T) {
	t.Setenv("RXCLAIMS_LOG_LEVEL", "loud")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--data-dir", t.TempDir()}, &out, &out); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("RXCLAIMS_LOG_LEVEL=loud: %v", err)
	}
	empty := t.TempDir()
	t.Setenv("RXCLAIMS_DATA_DIR", empty)
	if err := run(context.Background(), []string{"--verify"}, &out, &out); err == nil || !strings.Contains(err.Error(), empty+" holds no store") {
		t.Fatalf("--verify on an empty RXCLAIMS_DATA_DIR: %v\n%s", err, out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The flag's valid level wins over the environment's invalid one; the
	// server then stops at once.
	err := run(ctx, append(loopback, "--data-dir", t.TempDir(), "--log-level", "error"), &out, &out)
	if err != nil {
		t.Fatalf("--log-level error: %v", err)
	}
}

// loopback are the listen flags of a test server on ports the system picks.
var loopback = []string{"--grpc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0", "--metrics-addr", "-"}

// TestDevelopmentMode: without TLS material the server refuses a
// non-loopback address unless --insecure is given, and says loudly that it
// runs in development mode; half a TLS configuration is refused.
func TestDevelopmentMode(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, flag := range []string{"--grpc-addr", "--admin-addr", "--health-addr"} {
		var out bytes.Buffer
		dir := filepath.Join(t.TempDir(), "data")
		args := append(slices.Clone(loopback), "--data-dir", dir, flag, "0.0.0.0:0")
		err := run(cancelled, args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "loopback only") || !strings.Contains(err.Error(), "--insecure") {
			t.Fatalf("%s 0.0.0.0:0 without TLS: %v", flag, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("a refused start created the data directory: %v", err)
		}
		out.Reset()
		if err := run(cancelled, append(args, "--insecure"), &out, &out); err != nil {
			t.Fatalf("%s 0.0.0.0:0 --insecure: %v", flag, err)
		}
		if !strings.Contains(out.String(), "DEVELOPMENT MODE") || !strings.Contains(out.String(), "INSECURE") {
			t.Fatalf("--insecure start does not warn:\n%s", out.String())
		}
	}
	var out bytes.Buffer
	for _, args := range [][]string{{"--tls-cert", "tls.crt"}, {"--tls-client-ca", "ca.crt"}, {"--tls-cert", "a", "--tls-key", "b"}, {"--jwt-issuer", "https://idp.test"}} {
		if err := run(cancelled, append(append(slices.Clone(loopback), "--data-dir", t.TempDir()), args...), &out, &out); err == nil || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestChooseConfig: without --config the server runs on the demo data and
// the log says so.
func TestChooseConfig(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	if src := chooseConfig("", log); !src.SeedOnly || !strings.Contains(logs.String(), "configuration: built-in demo data (no --config given)") {
		t.Errorf("no --config: %+v, log %s", src, logs.String())
	}
	logs.Reset()
	if src := chooseConfig("plan.yaml", log); src.SeedOnly || src.Name != "plan.yaml" || !strings.Contains(logs.String(), "plan.yaml") {
		t.Errorf("--config plan.yaml: %+v, log %s", src, logs.String())
	}
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestTLSFlags: the TLS flags give a server that requires client
// certificates on the claims and admin listeners and answers probes on the
// health listener without one.
func TestTLSFlags(t *testing.T) {
	pki := servertest.NewPKI(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append(slices.Clone(loopback), "--data-dir", t.TempDir(), "--tls-cert", pki.Server.Cert, "--tls-key", pki.Server.Key,
			"--tls-client-ca", pki.Server.CA, "--policy", servertest.Policy(t, map[string][]string{"alice": authz.Roles})), logs, logs)
	}()
	var addrs struct{ Msg, GRPC, Admin, Health string }
	for addrs.Msg != "serving" {
		select {
		case err := <-done:
			t.Fatalf("server stopped: %v\n%s", err, logs)
		case <-time.After(10 * time.Millisecond):
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if json.Unmarshal([]byte(line), &addrs) == nil && addrs.Msg == "serving" {
				break
			}
		}
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if strings.Contains(logs.String(), "DEVELOPMENT MODE") {
		t.Errorf("a TLS server says it runs in development mode:\n%s", logs)
	}
	admin := pb.NewAdminServiceClient(pki.Dial(t, addrs.Admin, "alice"))
	if _, err := admin.ListEdits(ctx, &pb.ListEditsRequest{}); err != nil {
		t.Fatalf("admin call with a client certificate: %v", err)
	}
	conn, err := dialer.Dial(addrs.GRPC, dialer.Options{TLS: certs.ClientFiles{CA: pki.Server.CA}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewClaimsServiceClient(conn).Bill(ctx, &pb.BillRequest{}); err == nil {
		t.Fatal("a claims call without a client certificate was served")
	}
	h, err := healthpb.NewHealthClient(dialPlain(t, addrs.Health)).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health listener: %v %v", h, err)
	}
}

func dialPlain(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := dialer.Dial(addr, dialer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
