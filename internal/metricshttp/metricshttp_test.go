package metricshttp

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The profiles are served only when asked for; /metrics always.
func TestPprofOnlyWhenAsked(t *testing.T) {
	for _, withPprof := range []bool{false, true} {
		reg := prometheus.NewRegistry()
		reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "rxclaims_test_total", Help: "A test counter."}))
		addr, stop, err := Serve("127.0.0.1:0", reg, slog.New(slog.DiscardHandler), withPprof)
		if err != nil {
			t.Fatal(err)
		}
		get := func(path string) (int, string) {
			resp, err := http.Get("http://" + addr.String() + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, string(b)
		}
		if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "rxclaims_test_total 0") {
			t.Errorf("pprof %v: /metrics answered %d:\n%s", withPprof, code, body)
		}
		code, body := get("/debug/pprof/heap?debug=1")
		switch {
		case withPprof && (code != http.StatusOK || !strings.Contains(body, "heap profile")):
			t.Errorf("with pprof: /debug/pprof/heap answered %d:\n%.200s", code, body)
		case !withPprof && code != http.StatusNotFound:
			t.Errorf("without pprof: /debug/pprof/heap answered %d, want 404", code)
		}
		// The command line may carry a --store DSN with its password.
		if code, body := get("/debug/pprof/cmdline"); code == http.StatusOK || strings.Contains(body, "metricshttp.test") {
			t.Errorf("pprof %v: /debug/pprof/cmdline answered %d:\n%.200s", withPprof, code, body)
		}
		stop()
	}
}

// Profiles on a listener other processes can reach are warned about.
func TestPprofWarnsOffLoopback(t *testing.T) {
	for addr, warn := range map[string]bool{"127.0.0.1:0": false, ":0": true} {
		var logged strings.Builder
		_, stop, err := Serve(addr, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(&logged, nil)), true)
		if err != nil {
			t.Fatal(err)
		}
		stop()
		if got := strings.Contains(logged.String(), "without authentication"); got != warn {
			t.Errorf("pprof on %s: warned %v, want %v; log:\n%s", addr, got, warn, logged.String())
		}
	}
}
