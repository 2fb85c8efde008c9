package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestCrashSafety starts the real server binary, drives concurrent bills,
// reversals and rebills, kills it with SIGKILL mid-load, restarts it on the
// same data directory and proves that every acknowledged transaction is
// there exactly once and every accumulator balance equals the sum of its
// claims' contributions.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	data := t.TempDir()

	acked := loadUntilKilled(t, bin, data)
	checkRestart(t, bin, data, acked)

	// The operator's check agrees, and the audit trail (the startup
	// seed's entry) is a sound chain.
	if out, err := exec.Command(bin, "--verify", "--data-dir", data).CombinedOutput(); err != nil ||
		strings.Count(string(out), " 0 problems") != 2 || !strings.Contains(string(out), "audit trail: 1 entries") {
		t.Errorf("adjudicator --verify: %v\n%s", err, out)
	}
	checkStoredLedger(t, data, acked)
}

// loadUntilKilled starts the server on data, drives concurrent bills,
// reversals and rebills, kills it with SIGKILL mid-load and returns what
// it acknowledged.
func loadUntilKilled(t *testing.T, bin, data string) *ledger {
	proc, addr := startServer(t, bin, data)
	conn := dial(t, addr)
	claims := client.NewClaims(conn)

	acked := newLedger()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	members := coveredMembers(t)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			drive(ctx, claims, w, members, acked)
		}()
	}
	// Kill once a good number of transactions have been acknowledged.
	deadline := time.Now().Add(20 * time.Second)
	for acked.count() < 400 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	cancel()
	wg.Wait()
	conn.Close()
	t.Logf("killed after %d acknowledged transactions (%d paid bills, %d reversals, %d rebills; %d unanswered at the kill)",
		acked.count(), len(acked.bills), len(acked.reversals), len(acked.rebills), len(acked.pending))
	if len(acked.bills) == 0 || len(acked.reversals) == 0 {
		t.Fatalf("too little load before the kill to prove anything: %d bills, %d reversals", len(acked.bills), len(acked.reversals))
	}
	return acked
}

// checkRestart restarts the server on the same data: every acknowledged
// transaction answers as the duplicate of itself. Then it stops the server
// gracefully.
func checkRestart(t *testing.T, bin, data string, acked *ledger) {
	proc, addr := startServer(t, bin, data)
	conn := dial(t, addr)
	claims := client.NewClaims(conn)
	for id, c := range acked.bills {
		if acked.pending[id] {
			continue // its unanswered reversal or rebill may have landed
		}
		r, err := claims.Bill(context.Background(), c)
		if err != nil {
			t.Fatalf("rebilling acknowledged claim %s: %v", id, err)
		}
		if r.Status != adjudicator.Duplicate || r.ClaimID != id {
			t.Errorf("acknowledged claim %s: resubmission got %s %s %v, want D with the same claim ID", id, r.Status, r.ClaimID, r.Rejects)
		}
	}
	for id, rv := range acked.reversals {
		r, err := claims.Reverse(context.Background(), rv.reversal)
		if err != nil {
			t.Fatalf("repeating acknowledged reversal of %s: %v", id, err)
		}
		if r.Status != adjudicator.Accepted || r.ClaimID != rv.responseID {
			t.Errorf("acknowledged reversal of %s: repeat got %s %s, want the original answer %s", id, r.Status, r.ClaimID, rv.responseID)
		}
	}
	conn.Close()
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
}

// checkStoredLedger reads the store itself: acknowledged claims exist
// once, in the state acknowledged, and the balances equal the claims'
// contributions.
func checkStoredLedger(t *testing.T, data string, acked *ledger) {
	st, err := store.Open(store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id := range acked.bills {
		rec, err := st.Claim(id)
		if err != nil || rec == nil {
			t.Fatalf("acknowledged claim %s not stored: %v", id, err)
		}
		if !rec.Paid() && !acked.pending[id] {
			t.Errorf("acknowledged paid claim %s is stored reversed", id)
		}
	}
	for id := range acked.reversals {
		if rec, err := st.Claim(id); err != nil || rec == nil || rec.Paid() {
			t.Errorf("acknowledged reversal of %s is not stored reversed (%v)", id, err)
		}
	}
	rep, err := st.Verify()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("store: %d claims (%d paid, %d reversed), %d accumulator documents", rep.Claims, rep.Paid, rep.Reversed, rep.Documents)
	for _, p := range rep.Problems {
		t.Error(p)
	}
}

// ledger records what the server acknowledged, by claim ID.
type ledger struct {
	mu        sync.Mutex
	n         int
	bills     map[string]*adjudicator.Claim // paid and, as far as acknowledged, still paid
	reversals map[string]reversed           // reversed claim ID -> its reversal
	rebills   map[string]string             // replaced claim ID -> new claim ID
	// pending holds paid claims whose reversal or rebill was sent but not
	// answered: one killed in flight may or may not have been committed.
	pending map[string]bool
}

type reversed struct {
	reversal   *adjudicator.Reversal
	responseID string
}

func newLedger() *ledger {
	return &ledger{bills: map[string]*adjudicator.Claim{}, reversals: map[string]reversed{}, rebills: map[string]string{}, pending: map[string]bool{}}
}

func (l *ledger) count() int { l.mu.Lock(); defer l.mu.Unlock(); return l.n }

// take returns a copy of a paid claim about to be reversed or rebilled and
// marks it pending until settle.
func (l *ledger) take(id string) adjudicator.Claim {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending[id] = true
	return *l.bills[id]
}

// settle records the answer to id's reversal or rebill: it is no longer
// pending, and when acknowledged, apply updates the ledger.
func (l *ledger) settle(id string, acknowledged bool, apply func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pending, id)
	if acknowledged {
		delete(l.bills, id)
		apply()
		l.n++
	}
}

// coveredMembers returns claim templates for the demo members covered over
// the last 30 days.
func coveredMembers(t *testing.T) []*adjudicator.Claim {
	today := domain.DateOf(time.Now().UTC())
	cfg := demo.Config()
	month := map[string]bool{}
	for _, c := range demo.CoveredClaims(cfg, today.AddDays(-30)) {
		month[c.CardholderID+c.PersonCode] = true
	}
	var out []*adjudicator.Claim
	for _, c := range demo.CoveredClaims(cfg, today) {
		if month[c.CardholderID+c.PersonCode] {
			out = append(out, c)
		}
	}
	if len(out) < 50 {
		t.Fatalf("only %d demo members are covered today", len(out))
	}
	return out
}

// drive sends bills, and reverses or rebills some of its own paid claims,
// until ctx ends or the server goes away.
func drive(ctx context.Context, c *client.Claims, worker int, members []*adjudicator.Claim, l *ledger) {
	rng := rand.New(rand.NewPCG(uint64(worker), 7))
	today := domain.DateOf(time.Now().UTC())
	var mine []string
	ndcs := []string{demo.DemoGenericNDC, demo.DemoBrandNDC, demo.DemoSingleSourceBrandNDC}
	for seq := 0; ctx.Err() == nil; seq++ {
		switch {
		case seq%5 == 4 && len(mine) > 0:
			id := mine[len(mine)-1]
			mine = mine[:len(mine)-1]
			cl := l.take(id)
			rv := &adjudicator.Reversal{BIN: cl.BIN, PCN: cl.PCN, PharmacyNPI: cl.PharmacyNPI, RxNumber: cl.RxNumber, FillNumber: cl.FillNumber, DateOfService: cl.DateOfService}
			r, err := c.Reverse(ctx, rv)
			if err != nil {
				return
			}
			l.settle(id, r.Status == adjudicator.Accepted, func() { l.reversals[id] = reversed{rv, r.ClaimID} })
		case seq%7 == 6 && len(mine) > 0:
			id := mine[len(mine)-1]
			cl := l.take(id)
			cl.Quantity = fmt.Sprint(10 + rng.IntN(80))
			r, err := c.Rebill(ctx, &cl)
			if err != nil {
				return
			}
			paid := r.Status == adjudicator.Paid
			l.settle(id, paid, func() {
				l.bills[r.ClaimID] = &cl
				l.rebills[id] = r.ClaimID
			})
			if paid {
				mine[len(mine)-1] = r.ClaimID
			}
		default:
			cl := new(adjudicator.Claim)
			*cl = *members[rng.IntN(len(members))]
			cl.DateOfService = today.AddDays(-rng.IntN(28)).String()
			cl.RxNumber = fmt.Sprintf("%02d%07d", worker, seq)
			cl.ProductID = ndcs[rng.IntN(len(ndcs))]
			cl.DAW = fmt.Sprint(rng.IntN(3))
			r, err := c.Bill(ctx, cl)
			if err != nil {
				return
			}
			if r.Status == adjudicator.Paid {
				l.mu.Lock()
				l.bills[r.ClaimID] = cl
				l.n++
				l.mu.Unlock()
				mine = append(mine, r.ClaimID)
			}
		}
	}
}

// startServer runs the binary on data with ephemeral ports and waits until
// its health service says SERVING.
func startServer(t *testing.T, bin, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd, addrs := startServerAddrs(t, bin, data)
	return cmd, addrs.claims
}

// servedAddrs are a started server's claims and admin addresses.
type servedAddrs struct{ claims, admin string }

// startServerAddrs is startServer returning the admin address too.
func startServerAddrs(t *testing.T, bin, data string) (*exec.Cmd, servedAddrs) {
	t.Helper()
	return startServerArgs(t, bin, "--data-dir", data)
}

// startServerArgs is startServerAddrs with the store named by args
// (--data-dir or --store).
func startServerArgs(t *testing.T, bin string, args ...string) (*exec.Cmd, servedAddrs) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--grpc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0",
		"--metrics-addr", "127.0.0.1:0", "--log-level", "info")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	addrCh := make(chan servedAddrs, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, GRPC, Admin string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				addrCh <- servedAddrs{claims: line.GRPC, admin: line.Admin}
			}
			if strings.Contains(sc.Text(), `"level":"ERROR"`) {
				fmt.Fprintln(os.Stderr, "server:", sc.Text())
			}
		}
	}()
	select {
	case addrs := <-addrCh:
		conn := dial(t, addrs.claims)
		defer conn.Close()
		resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health: %v %v", resp, err)
		}
		return cmd, addrs
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start in 60s")
	}
	return nil, servedAddrs{}
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
