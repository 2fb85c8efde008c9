package main

import (
	"context"
	"fmt"
	"log/slog"
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
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestMain removes the server binary and stops the PostgreSQL cluster
// once the tests are done.
func TestMain(m *testing.M) { pgtest.Main(m, func() { os.RemoveAll(built.dir) }) }

// instance is one server process on the shared database.
type instance struct {
	proc   *exec.Cmd
	conn   *grpc.ClientConn
	claims *client.Claims
	admin  *client.Admin
}

func startInstance(t *testing.T, bin, dsn string) *instance {
	t.Helper()
	proc, addrs := startServerArgs(t, bin, "--store", dsn, "--data-dir", t.TempDir())
	conn := dial(t, addrs.claims)
	adminConn := dial(t, addrs.admin)
	t.Cleanup(func() { conn.Close(); adminConn.Close() })
	return &instance{proc: proc, conn: conn, claims: client.NewClaims(conn), admin: client.NewAdmin(adminConn, "analyst")}
}

// TestSharedDatabase runs three server processes on one PostgreSQL
// database under concurrent bills, reversals, rebills and duplicates sent
// to different instances; SIGKILLs one mid-load and restarts it; and
// proves that every acknowledged claim exists exactly once, every
// acknowledged reversal stands, and every balance equals its claims.
func TestSharedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dsn := pgtest.DSN(t)
	bin := buildServer(t)
	// The first instance seeds the empty database; the others start on it.
	insts := []*instance{startInstance(t, bin, dsn)}
	insts = append(insts, startInstance(t, bin, dsn), startInstance(t, bin, dsn))

	acked := newLedger()
	members := coveredMembers(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 9 {
		wg.Go(func() { drive(ctx, insts[w%3].claims, w, members, acked) })
	}
	races := &raceTally{}
	wg.Go(func() { raceDuplicates(ctx, insts[0].claims, insts[1].claims, members, acked, races) })

	waitAcked(acked, 200)
	killed := insts[2]
	if err := killed.proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = killed.proc.Wait()
	t.Logf("instance 3 killed after %d acknowledged transactions", acked.count())
	waitAcked(acked, acked.count()+100) // the survivors carry on
	insts[2] = startInstance(t, bin, dsn)
	wg.Go(func() { drive(ctx, insts[2].claims, 99, members, acked) })
	waitAcked(acked, acked.count()+60)
	cancel()
	wg.Wait()

	races.mu.Lock()
	t.Logf("%d acknowledged transactions (%d paid bills, %d reversals, %d rebills); %d duplicate races: %d one P and one D",
		acked.count(), len(acked.bills), len(acked.reversals), len(acked.rebills), races.n, races.ok)
	if races.bad != "" {
		t.Error(races.bad)
	}
	races.mu.Unlock()
	if len(acked.reversals) == 0 || len(acked.rebills) == 0 {
		t.Fatalf("too little load to prove anything: %d reversals, %d rebills", len(acked.reversals), len(acked.rebills))
	}
	checkAcknowledged(t, insts, acked)
	checkDatabase(t, bin, dsn, acked)
	checkConfigReachesAll(t, insts)
}

// checkConfigReachesAll creates a draft edit on one instance and waits
// until the others list it: a configuration change reaches every
// instance. The time it took is logged (measured, not asserted).
func checkConfigReachesAll(t *testing.T, insts []*instance) {
	t.Helper()
	ctx := context.Background()
	all, err := insts[0].admin.Edits(ctx, client.EditFilter{})
	if err != nil || len(all) == 0 {
		t.Fatalf("listing edits: %v (%d)", err, len(all))
	}
	draft := all[0]
	draft.ID, draft.Version, draft.Status = "PROPAGATION-TEST", 0, ""
	start := time.Now()
	if _, err := insts[0].admin.CreateDraft(ctx, draft); err != nil {
		t.Fatalf("creating a draft: %v", err)
	}
	for _, inst := range insts[1:] {
		for {
			v, err := inst.admin.EditVersions(ctx, draft.ID)
			if err == nil && len(v) == 1 {
				break
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("the draft made on one instance did not reach another in a minute: %v", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Logf("a configuration change reached the other two instances in %s", time.Since(start).Round(time.Millisecond))
}

// waitAcked waits until n transactions were acknowledged, or 60 seconds.
func waitAcked(l *ledger, n int) {
	for deadline := time.Now().Add(60 * time.Second); l.count() < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}

// raceTally counts the duplicate races.
type raceTally struct {
	mu    sync.Mutex
	n, ok int
	bad   string
}

// raceDuplicates bills one new claim to two instances at once, again and
// again: one answer must be P and the other D with the same claim ID.
func raceDuplicates(ctx context.Context, a, b *client.Claims, members []*adjudicator.Claim, l *ledger, tally *raceTally) {
	today := domain.DateOf(time.Now().UTC())
	rng := rand.New(rand.NewPCG(3, 5))
	for seq := 0; ctx.Err() == nil; seq++ {
		cl := *members[rng.IntN(len(members))]
		cl.DateOfService = today.AddDays(-rng.IntN(28)).String()
		cl.RxNumber = fmt.Sprintf("98%07d", seq)
		var resp [2]*adjudicator.Response
		var errs [2]error
		var wg sync.WaitGroup
		for i, c := range []*client.Claims{a, b} {
			wg.Go(func() { resp[i], errs[i] = c.Bill(ctx, &cl) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			continue // the load ended, or a conflict outlasted its retries: nothing acknowledged twice
		}
		tally.mu.Lock()
		tally.n++
		p, d := resp[0], resp[1]
		if p.Status != adjudicator.Paid {
			p, d = d, p
		}
		switch {
		case p.Status == adjudicator.Paid && d.Status == adjudicator.Duplicate && d.ClaimID == p.ClaimID:
			tally.ok++
			l.mu.Lock()
			l.bills[p.ClaimID] = &cl
			l.n++
			l.mu.Unlock()
		case p.Status == adjudicator.Rejected && d.Status == adjudicator.Rejected:
		default:
			tally.bad = fmt.Sprintf("claim billed to two instances at once: answers %s %s and %s %s, want one P and one D of it",
				resp[0].Status, resp[0].ClaimID, resp[1].Status, resp[1].ClaimID)
		}
		tally.mu.Unlock()
	}
}

// checkAcknowledged resubmits every acknowledged transaction to an
// instance other than the one likely to have answered it: each answers
// as the duplicate of itself.
func checkAcknowledged(t *testing.T, insts []*instance, acked *ledger) {
	t.Helper()
	ctx := context.Background()
	i := 0
	for id, c := range acked.bills {
		if acked.pending[id] {
			continue
		}
		i++
		r, err := insts[i%3].claims.Bill(ctx, c)
		if err != nil {
			t.Fatalf("resubmitting acknowledged claim %s: %v", id, err)
		}
		if r.Status != adjudicator.Duplicate || r.ClaimID != id {
			t.Errorf("acknowledged claim %s: resubmission got %s %s %v, want D with the same claim ID", id, r.Status, r.ClaimID, r.Rejects)
		}
	}
	for id, rv := range acked.reversals {
		i++
		r, err := insts[i%3].claims.Reverse(ctx, rv.reversal)
		if err != nil {
			t.Fatalf("repeating acknowledged reversal of %s: %v", id, err)
		}
		if r.Status != adjudicator.Accepted || r.ClaimID != rv.responseID {
			t.Errorf("acknowledged reversal of %s: repeat got %s %s, want the original answer %s", id, r.Status, r.ClaimID, rv.responseID)
		}
	}
}

// checkDatabase reads the database itself: acknowledged claims exist
// once, in the state acknowledged; balances equal their claims (Verify);
// and the operator's --verify agrees.
func checkDatabase(t *testing.T, bin, dsn string, acked *ledger) {
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgstore.Options{DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
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
	rep, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("database: %d claims (%d paid, %d reversed), %d accumulator documents", rep.Claims, rep.Paid, rep.Reversed, rep.Documents)
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if out, err := exec.Command(bin, "--verify", "--store", dsn).CombinedOutput(); err != nil || strings.Count(string(out), " 0 problems") != 2 {
		t.Errorf("adjudicator --verify --store: %v\n%s", err, out)
	}
}

// TestDatabaseRestart restarts PostgreSQL under load: while it is down
// claims are answered Unavailable (never a wrong P, D or reject), the
// server serves again once it is back, and nothing acknowledged is lost.
func TestDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	cluster := pgtest.NewCluster(t)
	dsn := cluster.NewDatabase(t)
	bin := buildServer(t)
	inst := startInstance(t, bin, dsn)

	acked := newLedger()
	members := coveredMembers(t)
	ctx, cancel := context.WithCancel(context.Background())
	tally := &outageTally{codes: map[codes.Code]int{}}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() { driveThrough(ctx, inst.conn, w, members, acked, tally) })
	}
	waitAcked(acked, 100)
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	before := tally.failures()
	for deadline := time.Now().Add(60 * time.Second); tally.failures() < before+20 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	waitAcked(acked, acked.count()+100)
	cancel()
	wg.Wait()

	tally.mu.Lock()
	t.Logf("%d acknowledged transactions; failures during the outage by code: %v", acked.count(), tally.codes)
	for c, n := range tally.codes {
		if c != codes.Unavailable {
			t.Errorf("%d calls failed with %s during the outage; want Unavailable only", n, c)
		}
	}
	if tally.codes[codes.Unavailable] == 0 {
		t.Error("no call failed while the database was down")
	}
	tally.mu.Unlock()
	checkAcknowledged(t, []*instance{inst, inst, inst}, acked)
	checkDatabase(t, bin, dsn, acked)
}

// outageTally counts failed calls by code.
type outageTally struct {
	mu    sync.Mutex
	codes map[codes.Code]int
	n     int
}

func (o *outageTally) failed(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.codes[status.Code(err)]++
	o.n++
}

func (o *outageTally) failures() int { o.mu.Lock(); defer o.mu.Unlock(); return o.n }

// driveThrough is drive that carries on through failures, counting them:
// a failed reversal or rebill leaves its claim pending (it may or may not
// have been committed).
func driveThrough(ctx context.Context, c grpc.ClientConnInterface, worker int, members []*adjudicator.Claim, l *ledger, tally *outageTally) {
	for ctx.Err() == nil {
		sub, stop := context.WithCancel(ctx)
		var err error
		func() {
			defer stop()
			err = driveOnce(sub, c, worker, members, l)
		}()
		if err != nil && ctx.Err() == nil {
			tally.failed(err)
			time.Sleep(5 * time.Millisecond) // the database is down: do not spin
		}
		worker += 100 // fresh Rx numbers
	}
}

// driveOnce runs drive until its first failed call and returns that failure.
func driveOnce(ctx context.Context, c grpc.ClientConnInterface, worker int, members []*adjudicator.Claim, l *ledger) error {
	fc := &failCatcher{ClientConnInterface: c}
	drive(ctx, client.NewClaims(fc), worker, members, l)
	return fc.err
}

// failCatcher keeps the first error of the calls made through it.
type failCatcher struct {
	grpc.ClientConnInterface
	err error // drive makes one call at a time
}

func (f *failCatcher) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	err := f.ClientConnInterface.Invoke(ctx, method, args, reply, opts...)
	if err != nil && f.err == nil {
		f.err = err
	}
	return err
}
