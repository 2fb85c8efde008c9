package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/cli"
)

// TestHelpAndVersion: --help lists every flag with its environment
// variable, --version prints the version; both exit 0.
func TestHelpAndVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &out); !errors.Is(err, cli.ErrExited) {
		t.Fatalf("--help: %v", err)
	}
	for _, env := range []string{"RXCLAIMS_GRPC_ADDR", "RXCLAIMS_ADMIN_ADDR", "RXCLAIMS_HEALTH_ADDR", "RXCLAIMS_TLS_CERT", "RXCLAIMS_TLS_CLIENT_CA", "RXCLAIMS_JWKS", "RXCLAIMS_METRICS_ADDR", "RXCLAIMS_DATA_DIR", "RXCLAIMS_CONFIG", "RXCLAIMS_LOG_LEVEL"} {
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
	for _, args := range [][]string{{"--tls-cert", "tls.crt"}, {"--tls-client-ca", "ca.crt"}, {"--tls-cert", "a", "--tls-key", "b"}} {
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
