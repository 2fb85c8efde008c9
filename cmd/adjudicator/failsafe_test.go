package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/store"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// The fail-safe tests run the real binary on real files, as the crash
// test does: overload with short deadlines, and a full disk.

// buildBinary builds the adjudicator into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	return buildServer(t)
}

// process is a running adjudicator.
type process struct {
	cmd           *exec.Cmd
	grpc, metrics string
	stderr        *lockedBuffer
	exited        chan error // receives the process's exit once
	serving       chan struct{}
}

// launch starts the binary on data with ephemeral ports and extra flags.
func launch(t *testing.T, bin, data string, flags ...string) *process {
	t.Helper()
	args := append([]string{"--data-dir", data, "--grpc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
		"--health-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, flags...)
	cmd := exec.Command(bin, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &process{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan error, 1), serving: make(chan struct{})}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			fmt.Fprintln(s.stderr, sc.Text())
			var line struct{ Msg, GRPC, Metrics string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				s.grpc, s.metrics = line.GRPC, line.Metrics
				close(s.serving)
			}
		}
		s.exited <- cmd.Wait()
	}()
	return s
}

// waitServing waits until the server serves, failing if it exits first.
func (s *process) waitServing(t *testing.T) {
	t.Helper()
	select {
	case <-s.serving:
	case err := <-s.exited:
		t.Fatalf("server exited before serving: %v\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start in 60s\n%s", s.stderr)
	}
}

// stop sends SIGTERM and returns the exit, failing if the process does
// not stop within a minute.
func (s *process) stop(t *testing.T) error {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return s.wait(t)
}

func (s *process) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.exited:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("the process did not stop within a minute\n%s", s.stderr)
		return nil
	}
}

// metric sums the samples of a metric family on the server's /metrics.
func (s *process) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if line == name || strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			sum += v
		}
	}
	return sum
}

// outcomes are what the client saw of its bills, by claim.
type outcomes struct {
	mu     sync.Mutex
	paid   map[string]*adjudicator.Claim // claim ID -> claim
	shed   []*adjudicator.Claim          // ResourceExhausted
	gaveUp []*adjudicator.Claim          // DeadlineExceeded at the client
	failed []*adjudicator.Claim          // any other error, in other
	other  []error
}

func (o *outcomes) record(c *adjudicator.Claim, r *adjudicator.Response, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch status.Code(err) {
	case codes.OK:
		if r.Status == adjudicator.Paid {
			o.paid[r.ClaimID] = c
		}
	case codes.ResourceExhausted:
		o.shed = append(o.shed, c)
	case codes.DeadlineExceeded:
		o.gaveUp = append(o.gaveUp, c)
	default:
		o.failed = append(o.failed, c)
		o.other = append(o.other, err)
	}
}

// deadline is the client deadline of a bill: a third of the workers give
// 1 to 20 ms, shorter than a claim under this load, the others 200 ms to
// 1 s.
func deadline(worker int, rng *rand.Rand) time.Duration {
	if worker%3 == 0 {
		return time.Duration(1+rng.IntN(20)) * time.Millisecond
	}
	return time.Duration(200+rng.IntN(800)) * time.Millisecond
}

// TestOverloadAndDeadlines offers a server bounded to a few claims in
// flight far more than it can take, many with deadlines too short for it.
// Every claim is answered: paid (or rejected) and durable, shed with
// ResourceExhausted and absent from the store, or DeadlineExceeded at the
// client. A claim the client gave up on is absent unless its deadline
// expired during its commit; the test counts those. After the load, every
// paid claim is stored once, every balance equals its claims, and
// --verify is clean.
func TestOverloadAndDeadlines(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	srv := launch(t, bin, data, "--max-claims-in-flight", "4")
	srv.waitServing(t)
	conn := dial(t, srv.grpc)
	claims := client.NewClaims(conn)

	members := coveredMembers(t)
	today := domain.DateOf(time.Now().UTC())
	o := &outcomes{paid: map[string]*adjudicator.Claim{}}
	const workers, perWorker = 48, 60
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 12))
			for i := range perWorker {
				c := *members[rng.IntN(len(members))]
				c.RxNumber = fmt.Sprintf("1%02d%05d", w, i) // no leading zero: the stored key is canonical
				c.DateOfService = today.AddDays(-rng.IntN(28)).String()
				ctx, cancel := context.WithTimeout(context.Background(), deadline(w, rng))
				r, err := claims.Bill(ctx, &c)
				cancel()
				o.record(&c, r, err)
			}
		}()
	}
	wg.Wait()
	shedSeen, late := srv.metric(t, "rxclaims_claims_shed_total"), srv.metric(t, "rxclaims_claims_answered_late_total")
	conn.Close()
	if err := srv.stop(t); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, srv.stderr)
	}
	for _, err := range o.other {
		t.Errorf("unexpected answer: %v", err)
	}
	t.Logf("%d bills: %d paid, %d shed, %d gave up at the client; server: %.0f shed, %.0f answered late",
		workers*perWorker, len(o.paid), len(o.shed), len(o.gaveUp), shedSeen, late)
	if len(o.paid) == 0 || len(o.shed) == 0 || len(o.gaveUp) == 0 {
		t.Fatalf("the load proved nothing: %d paid, %d shed, %d gave up", len(o.paid), len(o.shed), len(o.gaveUp))
	}
	// A call shed after its client gave up is DeadlineExceeded at the client.
	if n := float64(len(o.shed)); shedSeen < n || shedSeen > n+float64(len(o.gaveUp)) {
		t.Errorf("the client saw %.0f calls shed and %d give up; the server shed %.0f", n, len(o.gaveUp), shedSeen)
	}
	checkOverloadStore(t, bin, data, o, late)
}

// checkOverloadStore reads the stopped server's store: paid claims once,
// shed claims absent, claims given up on absent unless answered late.
func checkOverloadStore(t *testing.T, bin, data string, o *outcomes, late float64) {
	t.Helper()
	if out, err := exec.Command(bin, "--verify", "--data-dir", data).CombinedOutput(); err != nil || strings.Count(string(out), " 0 problems") != 2 {
		t.Errorf("adjudicator --verify: %v\n%s", err, out)
	}
	st, err := store.Open(store.Options{Dir: data, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for id := range o.paid {
		if rec, err := st.Claim(id); err != nil || rec == nil || !rec.Paid() {
			t.Fatalf("paid claim %s not stored paid: %v %v", id, rec, err)
		}
	}
	for _, c := range o.shed {
		if rec, err := st.ClaimByKey(ctx, claimKey(c)); err != nil || rec != nil {
			t.Errorf("claim %s was shed but is stored: %v", c.RxNumber, err)
		}
	}
	committed := 0
	for _, c := range o.gaveUp {
		rec, err := st.ClaimByKey(ctx, claimKey(c))
		if err != nil {
			t.Fatal(err)
		}
		if rec != nil {
			committed++
		}
	}
	t.Logf("of %d claims the client gave up on, %d were committed (their deadline expired during the commit; the server answered %.0f calls late)",
		len(o.gaveUp), committed, late)
	rep, err := st.Verify()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
}

func claimKey(c *adjudicator.Claim) adjudicator.ClaimKey {
	return adjudicator.ClaimKey{PharmacyNPI: c.PharmacyNPI, RxNumber: c.RxNumber, FillNumber: c.FillNumber, DateOfService: c.DateOfService}
}

// health asks the server's health service.
func health(t *testing.T, addr string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn := dial(t, addr)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	return r.GetStatus()
}

// smallFS mounts a tmpfs of size (as mount(8) reads it, e.g. "8m") in a
// temporary directory and returns the directory; the test is skipped,
// saying why, where mounting is not allowed.
func smallFS(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small filesystem needs root; the deterministic full-disk tests are in internal/store and internal/server")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s tmpfs (%v: %s); the deterministic full-disk tests are in internal/store and internal/server", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestDiskFull runs the server on an 8 MiB filesystem and bills until the
// disk is full. Then health is NOT_SERVING, every claim is answered
// Unavailable at once, SIGTERM stops the process (non-zero: the store
// failed), a restart without space exits non-zero with one message,
// --verify runs and is clean, and once space is back a restart serves
// every acknowledged claim as before.
func TestDiskFull(t *testing.T) {
	bin := buildBinary(t)
	mnt := smallFS(t, "8m")
	data := filepath.Join(mnt, "data")
	srv := launch(t, bin, data)
	srv.waitServing(t)
	conn := dial(t, srv.grpc)
	claims := client.NewClaims(conn)
	o := fillDisk(t, claims)
	if len(o.paid) == 0 {
		t.Fatal("no claim was paid before the disk filled")
	}
	for _, err := range o.other {
		if status.Code(err) != codes.Unavailable {
			t.Errorf("a claim on the full disk: %v, want Unavailable", err)
		}
	}
	checkFailedServer(t, srv, claims)
	conn.Close()
	if err := srv.stop(t); err == nil {
		t.Errorf("the server stopped with status 0 after its store failed\n%s", srv.stderr)
	}

	// A restart without space: one clear message, exit non-zero.
	again := launch(t, bin, data)
	if err := again.wait(t); err == nil {
		t.Errorf("a start without space exited 0\n%s", again.stderr)
	}
	checkOneMessage(t, again.stderr.String())
	if out, err := exec.Command(bin, "--verify", "--data-dir", data).CombinedOutput(); err != nil || strings.Count(string(out), " 0 problems") != 2 {
		t.Errorf("adjudicator --verify on the full disk: %v\n%s", err, out)
	}

	// Space is back.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	l := newLedger()
	l.bills = o.paid
	caught := caughtInCommit(t, data, o)
	checkRestart(t, bin, data, l)
	retryFailed(t, bin, data, o.failed, caught, l)
	if out, err := exec.Command(bin, "--verify", "--data-dir", data).CombinedOutput(); err != nil || strings.Count(string(out), " 0 problems") != 2 {
		t.Errorf("adjudicator --verify: %v\n%s", err, out)
	}
	checkStoredLedger(t, data, l)
}

// fillDisk bills from 16 workers until every worker has had an error.
func fillDisk(t *testing.T, claims *client.Claims) *outcomes {
	t.Helper()
	members := coveredMembers(t)
	today := domain.DateOf(time.Now().UTC())
	o := &outcomes{paid: map[string]*adjudicator.Claim{}}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 8))
			for i := 0; i < 100_000; i++ {
				c := *members[rng.IntN(len(members))]
				c.RxNumber = fmt.Sprintf("1%02d%06d", w, i) // no leading zero: the stored key is canonical
				c.DateOfService = today.AddDays(-rng.IntN(28)).String()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				r, err := claims.Bill(ctx, &c)
				cancel()
				o.record(&c, r, err)
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("disk full after %d paid claims; %d calls failed", len(o.paid), len(o.other))
	return o
}

// checkFailedServer: health turns NOT_SERVING, and claims, even of one
// family at once, are answered Unavailable without waiting.
func checkFailedServer(t *testing.T, srv *process, claims *client.Claims) {
	t.Helper()
	for i := 0; health(t, srv.grpc) != healthpb.HealthCheckResponse_NOT_SERVING; i++ {
		if i == 100 {
			t.Fatal("health still SERVING after the store failed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := *coveredMembers(t)[0]
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c
			c.RxNumber = fmt.Sprint(9_900_000 + i)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := claims.Bill(ctx, &c); status.Code(err) != codes.Unavailable {
				t.Errorf("a claim on the failed store: %v, want Unavailable", err)
			}
		}()
	}
	wg.Wait()
}

// checkOneMessage: a start that cannot open its store says so in one
// line, and logs no error of its own besides.
func checkOneMessage(t *testing.T, stderr string) {
	t.Helper()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(line, "adjudicator: ") || strings.Contains(line, `"level":"ERROR"`) {
			msgs = append(msgs, line)
		}
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], "no space left on device") {
		t.Errorf("a start without space says %q, want one message naming the lack of space; stderr:\n%s", msgs, stderr)
	}
	t.Logf("start without space: %s", msgs)
}

// caughtInCommit reads the store: every claim in it was acknowledged, or
// answered Unavailable because the failure caught it in its commit (its
// outcome was unknown; the WAL decided). It returns those, by claim key.
func caughtInCommit(t *testing.T, data string, o *outcomes) map[adjudicator.ClaimKey]string {
	t.Helper()
	failed := map[adjudicator.ClaimKey]bool{}
	for _, c := range o.failed {
		failed[claimKey(c)] = true
	}
	st, err := store.Open(store.Options{Dir: data, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	caught := map[adjudicator.ClaimKey]string{}
	err = st.ForEachClaim(func(rec *adjudicator.ClaimRecord) error {
		if _, ok := o.paid[rec.ID]; ok {
			return nil
		}
		if !failed[rec.Key] {
			return fmt.Errorf("claim %s is stored but was neither acknowledged nor caught by the failure", rec.ID)
		}
		caught[rec.Key] = rec.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("of %d claims answered Unavailable, %d were written: the failure caught them in their commit", len(o.failed), len(caught))
	return caught
}

// retryFailed resubmits the claims answered Unavailable to a restarted
// server: one the failure caught in its commit answers D with its stored
// claim, the others are paid now.
func retryFailed(t *testing.T, bin, data string, failed []*adjudicator.Claim, caught map[adjudicator.ClaimKey]string, l *ledger) {
	t.Helper()
	srv := launch(t, bin, data)
	srv.waitServing(t)
	conn := dial(t, srv.grpc)
	claims := client.NewClaims(conn)
	for _, c := range failed {
		r, err := claims.Bill(context.Background(), c)
		if err != nil {
			t.Fatalf("retrying claim %s: %v", c.RxNumber, err)
		}
		id, wasWritten := caught[claimKey(c)]
		switch {
		case wasWritten && (r.Status != adjudicator.Duplicate || r.ClaimID != id):
			t.Errorf("retry of claim %s, written when the store failed: %s %s, want D %s", c.RxNumber, r.Status, r.ClaimID, id)
		case !wasWritten && r.Status != adjudicator.Paid:
			t.Errorf("retry of claim %s, not written when the store failed: %s %v, want P", c.RxNumber, r.Status, r.Rejects)
		}
		l.bills[r.ClaimID] = c
	}
	conn.Close()
	if err := srv.stop(t); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, srv.stderr)
	}
}
