package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/certs"
	"github.com/rxclaims/rxclaims/internal/certs/testca"
	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/internal/server"
)

// adjudicatorServer is a running adjudicator: a separate process started
// from its binary, or server.Run in this process.
type adjudicatorServer struct {
	grpcAddr, metricsAddr string
	inProcess             bool
	started               time.Duration // from start to serving: opening the store and loading the bundle
	stop                  func() error
}

// writeBundle writes cfg as a JSON configuration bundle (JSON is a subset
// of the YAML the adjudicator reads, and much faster to write for a large
// population).
func writeBundle(path string, cfg *config.Config) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := json.NewEncoder(w).Encode(cfg); err != nil {
		f.Close()
		return 0, fmt.Errorf("writing bundle %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// BuildAdjudicator builds cmd/adjudicator into dir with `go build` and
// returns the binary's path. It must run inside the module.
func BuildAdjudicator(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "adjudicator")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/rxclaims/rxclaims/cmd/adjudicator")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/adjudicator: %w\n%s", err, out)
	}
	return bin, nil
}

// startProcess starts the adjudicator binary on a fresh data directory with
// the bundle, on loopback ports it chooses, and waits until it serves. Its
// log goes to logPath.
func startProcess(ctx context.Context, bin, dataDir, bundle, logPath string, sec server.Security) (*adjudicatorServer, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := []string{"--data-dir", dataDir, "--config", bundle, "--grpc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
		"--health-addr", "-", "--metrics-addr", "127.0.0.1:0", "--log-level", "info"}
	if !sec.Development() {
		policy, err := benchPolicy(filepath.Dir(dataDir))
		if err != nil {
			logFile.Close()
			return nil, err
		}
		args = append(args, "--tls-cert", sec.TLSCert, "--tls-key", sec.TLSKey, "--tls-client-ca", sec.ClientCA, "--policy", policy)
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	addrs := make(chan [2]string, 1)
	go func() {
		// Copy the log, picking the bound addresses from the "serving" line.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			fmt.Fprintf(logFile, "%s\n", line)
			var rec struct{ Msg, GRPC, Metrics string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
				addrs <- [2]string{rec.GRPC, rec.Metrics}
			}
		}
		_, _ = io.Copy(logFile, stderr)
		exited <- cmd.Wait()
		logFile.Close()
	}()
	s := &adjudicatorServer{}
	s.stop = func() error {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case err := <-exited:
			return err
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			return errors.New("adjudicator did not stop within a minute of SIGTERM; killed")
		}
	}
	select {
	case a := <-addrs:
		s.grpcAddr, s.metricsAddr, s.started = a[0], a[1], time.Since(start)
		return s, nil
	case err := <-exited:
		return nil, fmt.Errorf("adjudicator exited before serving (%v); see %s", err, logPath)
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

// startInProcess runs server.Run in this process. CPU figures then cover
// the client too.
func startInProcess(ctx context.Context, dataDir, bundle string, log *slog.Logger, sec server.Security) (*adjudicatorServer, error) {
	var policy string
	if !sec.Development() {
		var err error
		if policy, err = benchPolicy(filepath.Dir(dataDir)); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	addrs := make(chan [2]string, 1)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- server.Run(ctx, server.Options{
			GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", HealthAddr: "-", MetricsAddr: "127.0.0.1:0",
			DataDir: dataDir, Config: server.File(bundle), Logger: log, Security: sec, PolicyFile: policy,
			Listening: func(a server.Addrs) { addrs <- [2]string{a.GRPC.String(), a.Metrics.String()} },
		})
	}()
	select {
	case a := <-addrs:
		return &adjudicatorServer{grpcAddr: a[0], metricsAddr: a[1], inProcess: true, started: time.Since(start),
			stop: func() error { cancel(); return <-done }}, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("adjudicator (in process) stopped before serving: %w", err)
	}
}

// processStats are the server's process metrics and its engine's and
// store's totals.
type processStats struct {
	cpuSeconds             float64
	rssBytes               float64
	engineSeconds, engineN float64 // time inside the engine, all transactions
	commitSeconds, commitN float64 // synced Pebble commits
	claimLimit             float64 // the server's bound on claims in flight; 0 if it has none
	memory                 Memory
	// Cumulative bucket counts by upper bound (le), summed over labels.
	engineBuckets, commitBuckets map[float64]float64
	// The Go runtime's scheduler latency (runnable to running) and GC
	// stop-the-world pause histograms, by upper bound.
	schedBuckets, gcPauseBuckets map[float64]float64
}

// stats reads the server's /metrics: process CPU and memory, and the sums
// and counts of its adjudication and commit histograms.
func (s *adjudicatorServer) stats(ctx context.Context) (processStats, error) {
	ps := processStats{engineBuckets: map[float64]float64{}, commitBuckets: map[float64]float64{},
		schedBuckets: map[float64]float64{}, gcPauseBuckets: map[float64]float64{}}
	buckets := map[string]map[float64]float64{
		"rxclaims_adjudication_duration_seconds_bucket": ps.engineBuckets,
		"rxclaims_store_commit_duration_seconds_bucket": ps.commitBuckets,
		"go_sched_latencies_seconds_bucket":             ps.schedBuckets,
		"go_sched_pauses_total_gc_seconds_bucket":       ps.gcPauseBuckets,
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.metricsAddr+"/metrics", nil)
	if err != nil {
		return ps, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ps, fmt.Errorf("reading the adjudicator's metrics: %w", err)
	}
	defer resp.Body.Close()
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		name, _, _ := strings.Cut(series, "{")
		if m, isBucket := buckets[name]; isBucket {
			le, ok := bucketBound(series)
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return ps, fmt.Errorf("metric %s: %w", series, err)
			}
			m[le] += v
			continue
		}
		if name == "process_cpu_seconds_total" || name == "process_resident_memory_bytes" {
			found++
		}
		dst := ps.field(name, series)
		if !ok || dst == nil {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return ps, fmt.Errorf("metric %s: %w", series, err)
		}
		*dst += v // a histogram's series are summed over their labels
	}
	if err := sc.Err(); err != nil {
		return ps, err
	}
	if found != 2 {
		return ps, errors.New("the adjudicator's /metrics lacks process_cpu_seconds_total or process_resident_memory_bytes")
	}
	return ps, nil
}

// field is where the metric series of a scalar the stats keep goes; nil
// for one they do not keep.
func (ps *processStats) field(name, series string) *float64 {
	switch name {
	case "process_cpu_seconds_total":
		return &ps.cpuSeconds
	case "process_resident_memory_bytes":
		return &ps.rssBytes
	case "rxclaims_adjudication_duration_seconds_sum":
		return &ps.engineSeconds
	case "rxclaims_adjudication_duration_seconds_count":
		return &ps.engineN
	case "rxclaims_store_commit_duration_seconds_sum":
		return &ps.commitSeconds
	case "rxclaims_store_commit_duration_seconds_count":
		return &ps.commitN
	case "rxclaims_claims_in_flight_limit":
		return &ps.claimLimit
	case "go_gc_heap_live_bytes":
		return &ps.memory.GoHeapLiveBytes
	case "go_memstats_heap_inuse_bytes":
		return &ps.memory.GoHeapInUseBytes
	case "go_memstats_sys_bytes":
		return &ps.memory.GoSysBytes
	case "rxclaims_store_block_cache_size_bytes":
		return &ps.memory.BlockCacheBytes
	case "rxclaims_store_memtable_size_bytes":
		return &ps.memory.MemtableBytes
	case "rxclaims_cache_entries":
		switch {
		case strings.Contains(series, `cache="families"`):
			return &ps.memory.FamilyEntries
		case strings.Contains(series, `cache="accumulators"`):
			return &ps.memory.DocumentEntries
		}
	}
	return nil
}

// bucketBound is the le label of a histogram bucket series.
func bucketBound(series string) (float64, bool) {
	_, rest, ok := strings.Cut(series, `le="`)
	if !ok {
		return 0, false
	}
	le, _, _ := strings.Cut(rest, `"`)
	v, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
	return v, err == nil
}

// bucketQuantile is the q quantile, in milliseconds, of the observations
// between two readings of a histogram's cumulative buckets, interpolated
// within its bucket as Prometheus's histogram_quantile does: what an alert
// on the server's histogram would have seen over the step. 0 when nothing
// was observed; the highest finite bound when the quantile falls in +Inf.
func bucketQuantile(q float64, before, after map[float64]float64) float64 {
	bounds := slices.Sorted(maps.Keys(after))
	if len(bounds) == 0 {
		return 0
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	if total <= 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, le := range bounds {
		n := after[le] - before[le]
		if n >= rank {
			if math.IsInf(le, 1) {
				return 1000 * lower
			}
			if n == below {
				return 1000 * le
			}
			return 1000 * (lower + (le-lower)*(rank-below)/(n-below))
		}
		lower, below = le, n
	}
	return 1000 * lower
}

// mutualTLS makes a CA, a server certificate for loopback and a client
// certificate under dir, and returns the server's security settings and
// the client's dial options.
func mutualTLS(dir string) (server.Security, dialer.Options, error) {
	ca, err := testca.New("rxclaims bench CA")
	if err != nil {
		return server.Security{}, dialer.Options{}, err
	}
	srv, err := ca.IssueFiles(filepath.Join(dir, "server"), testca.Spec{CommonName: "rxclaims-adjudicator", Server: true})
	if err != nil {
		return server.Security{}, dialer.Options{}, err
	}
	cl, err := ca.IssueFiles(filepath.Join(dir, "client"), testca.Spec{CommonName: "bench"})
	if err != nil {
		return server.Security{}, dialer.Options{}, err
	}
	return server.Security{TLSCert: srv.Cert, TLSKey: srv.Key, ClientCA: srv.CA},
		dialer.Options{TLS: certs.ClientFiles{CA: cl.CA, Cert: cl.Cert, Key: cl.Key}}, nil
}

// benchPolicy writes the policy a TLS server needs for the bench's client
// certificate (common name "bench"): the claims submitter role, as a
// switch would have.
func benchPolicy(dir string) (string, error) {
	path := filepath.Join(dir, "policy.yaml")
	return path, os.WriteFile(path, []byte("identities:\n  - subject: bench\n    roles: [claims-submitter]\n"), 0o600)
}

// observations is how many observations a histogram gained between two readings.
func observations(before, after map[float64]float64) float64 {
	return after[math.Inf(1)] - before[math.Inf(1)]
}

// bucketMax is the upper bound, in milliseconds, of the highest bucket
// that gained an observation between two readings of a histogram's
// cumulative buckets: the longest observation is at most this. 0 when
// nothing was observed; the highest finite bound when the longest fell in
// +Inf (it is then above that bound).
func bucketMax(before, after map[float64]float64) float64 {
	top, finite, prev := 0.0, 0.0, 0.0
	for _, le := range slices.Sorted(maps.Keys(after)) {
		n := after[le] - before[le]
		if n > prev {
			top = le
		}
		if !math.IsInf(le, 1) {
			finite = le
		}
		prev = n
	}
	if math.IsInf(top, 1) {
		top = finite
	}
	return 1000 * top
}
