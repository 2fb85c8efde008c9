package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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
	for _, env := range []string{"RXCLAIMS_GRPC_ADDR", "RXCLAIMS_METRICS_ADDR", "RXCLAIMS_DATA_DIR", "RXCLAIMS_CONFIG", "RXCLAIMS_LOG_LEVEL", "RXCLAIMS_POLICY"} {
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
	err := run(ctx, []string{"--log-level", "error", "--grpc-addr", "127.0.0.1:0", "--metrics-addr", "-"}, &out, &out)
	if err != nil {
		t.Fatalf("--log-level error: %v", err)
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
