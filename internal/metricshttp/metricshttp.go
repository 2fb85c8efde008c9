// Package metricshttp serves a Prometheus registry on /metrics, for the
// adjudicator and the loader alike (the loader may not link the store that
// internal/metrics reads).
package metricshttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Serve serves reg's /metrics on addr until stop is called; stop waits up
// to five seconds for scrapes in flight. addr "-" serves nothing: Serve
// returns a nil address and a stop that does nothing. With withPprof it
// also serves Go's runtime profiles under /debug/pprof/ (heap,
// allocations, CPU, goroutines): stack traces and sizes, never the data
// the program holds, but a CPU profile costs CPU while it runs, so it is
// off unless an operator asks for it. The command line (pprof's
// /debug/pprof/cmdline) is not served: the listener is plain HTTP without
// authentication, and the command line can carry a secret (a --store DSN
// with its password).
func Serve(addr string, reg *prometheus.Registry, log *slog.Logger, withPprof bool) (bound net.Addr, stop func(), err error) {
	if addr == "-" {
		return nil, func() {}, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		if tcp, ok := lis.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
			log.Warn("runtime profiles are served to whoever reaches the metrics listener, without authentication: bind --metrics-addr to loopback or a private network, or leave --pprof off",
				"metrics", lis.Addr().String())
		}
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	return lis.Addr(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
