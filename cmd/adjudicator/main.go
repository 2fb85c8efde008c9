// Command adjudicator serves pharmacy claim adjudication over gRPC.
//
//	adjudicator --data-dir ./data                    # built-in demo data
//	adjudicator --data-dir ./data --config plan.yaml # a configuration bundle
//	adjudicator --print-demo-config > bundle.yaml    # the demo data as a bundle
//	adjudicator --verify --data-dir ./data           # check a stopped server's store
//
// Every flag can also be set by an environment variable (RXCLAIMS_GRPC_ADDR,
// RXCLAIMS_METRICS_ADDR, RXCLAIMS_DATA_DIR, RXCLAIMS_CONFIG, RXCLAIMS_LOG_LEVEL);
// a flag given on the command line wins.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "adjudicator:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("adjudicator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o server.Options
	fs.StringVar(&o.GRPCAddr, "grpc-addr", env("RXCLAIMS_GRPC_ADDR", ":50051"), "gRPC listen address")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", env("RXCLAIMS_METRICS_ADDR", ":9102"), `Prometheus /metrics listen address ("-" disables)`)
	fs.StringVar(&o.DataDir, "data-dir", env("RXCLAIMS_DATA_DIR", "./data"), "Pebble data directory (created if missing)")
	fs.StringVar(&o.ConfigPath, "config", env("RXCLAIMS_CONFIG", ""), "configuration bundle (YAML or JSON); empty uses the built-in demo data")
	level := fs.String("log-level", env("RXCLAIMS_LOG_LEVEL", "info"), "log level: debug, info, warn or error")
	printDemo := fs.Bool("print-demo-config", false, "print the built-in demo data as a configuration bundle and exit")
	verify := fs.Bool("verify", false, "check the store in --data-dir (every balance equals its claims' contributions; one paid claim per key) and exit; the server must be stopped")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *printDemo {
		b, err := config.Marshal(demo.Config())
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	if *verify {
		return verifyStore(o.DataDir, stdout)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	o.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	return server.Run(ctx, o)
}

// verifyStore runs the store's consistency check and reports it; it fails
// when any problem is found.
func verifyStore(dir string, out io.Writer) error {
	st, err := store.Open(store.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Verify()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d claims (%d paid, %d reversed), %d accumulator documents, %d problems\n",
		rep.Claims, rep.Paid, rep.Reversed, rep.Documents, len(rep.Problems))
	for _, p := range rep.Problems {
		fmt.Fprintln(out, "  ", p)
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("store %s is inconsistent", dir)
	}
	return nil
}
