package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/store"
)

// TestRetroCrashResumes starts a retro job on the real server, which
// answers at once (RUNNING) and runs it in the background; kills the
// server with SIGKILL in the middle of the job's family, which the server
// holds after its reversals and two of its re-bills, before the family's
// one commit: nothing of the family is written (no claim is left reversed
// and not billed again); and restarts it on the same data without starting
// the job again: the server's runner resumes the job by itself where it
// stopped, every claim is reversed once and billed again once, the store
// verifies clean and a replay of the whole store finds no difference.
func TestRetroCrashResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	data := t.TempDir()
	const claims = 6
	// The server holds after the job's 6 reversals and 2 of its re-bills,
	// before the family's commit.
	t.Setenv(retroHoldEnv, fmt.Sprint(claims+2))
	proc, addrs := startServerAddrs(t, bin, data)
	member := coveredMembers(t)[0]
	today := domain.DateOf(time.Now().UTC())
	billed := billSpaced(t, addrs.claims, member, claims, 870000, today.AddDays(-25))
	req := adjudicator.RetroRequest{JobID: "CRASH-1", Kind: adjudicator.RetroEligibility, CardholderID: member.CardholderID,
		PersonCode: member.PersonCode, From: today.AddDays(-30)}
	retro := client.NewRetro(dial(t, addrs.admin), "erin")
	started, err := retro.Start(context.Background(), req) // answers at once; the runner is held mid-way
	if err != nil || started.State != adjudicator.RetroJobRunning {
		t.Fatalf("start: %v, %+v; want the job RUNNING", err, started)
	}
	pollUntil(t, "the job to choose its claims", func() bool {
		rep, err := retro.Report(context.Background(), req.JobID)
		return err == nil && len(rep.Job.Claims) == claims
	})
	// Killed at the hold or before it: either way before the family's commit.
	if rep, err := retro.Report(context.Background(), req.JobID); err != nil || rep.Done != 0 || rep.Reversed != 0 {
		t.Fatalf("before the kill: %v, %+v; want nothing of the family written", err, rep)
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()

	t.Setenv(retroHoldEnv, "")
	proc, addrs = startServerAddrs(t, bin, data)
	retro = client.NewRetro(dial(t, addrs.admin), "erin")
	rep, err := retro.Wait(context.Background(), req.JobID) // the runner resumes it: nobody starts it again
	if err != nil || rep.State != adjudicator.RetroJobDone || !rep.Finished || rep.Done != claims || rep.Skipped != 0 {
		t.Fatalf("resumed by the runner: %v, %+v; want DONE, all %d done", err, rep, claims)
	}
	again, err := retro.Start(context.Background(), req)
	if err != nil || again.State != adjudicator.RetroJobDone || again.Done != claims {
		t.Fatalf("started again once done: %v %+v", err, again)
	}
	sum, err := client.NewAdmin(dial(t, addrs.admin), "erin").ReplayStore(context.Background(), 10, func(r *adjudicator.Replay) error {
		t.Errorf("replay of claim %s differs or was skipped: %+v", r.ClaimID, r)
		return nil
	})
	if err != nil || sum.Claims == 0 || sum.Same != sum.Claims {
		t.Fatalf("replay-store: %v, %+v; want every claim the same", err, sum)
	}
	checkRetroAudit(t, client.NewAdmin(dial(t, addrs.admin), "erin"), req.JobID)
	newIDs := map[string]bool{}
	for _, p := range rep.Progress {
		if !billed[p.ClaimID] || p.NewClaimID == "" || newIDs[p.NewClaimID] {
			t.Errorf("progress %+v: want one of the billed claims, billed again under a new ID of its own", p)
		}
		newIDs[p.NewClaimID] = true
	}
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	checkRetroStore(t, data, billed, newIDs)
}

// checkRetroStore reads the store: each billed claim is reversed once (by
// the job), each re-bill is paid, there is no other paid claim of theirs,
// and the balances equal the claims' contributions.
func checkRetroStore(t *testing.T, data string, billed, rebilled map[string]bool) {
	st, err := store.Open(store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	retroPaid := 0
	err = st.ForEachClaim(func(rec *adjudicator.ClaimRecord) error {
		switch {
		case billed[rec.ID]:
			if rec.Paid() || rec.Reversal.Transaction != "RETRO/ELIGIBILITY" {
				t.Errorf("billed claim %s: reversal %+v, want reversed by the retro job", rec.ID, rec.Reversal)
			}
		case rec.Transaction == adjudicator.TxRetro:
			if !rebilled[rec.ID] || !rec.Paid() {
				t.Errorf("retro claim %s: in the report %v, paid %v", rec.ID, rebilled[rec.ID], rec.Paid())
			}
			retroPaid++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if retroPaid != len(billed) {
		t.Errorf("%d claims billed again by the job; want %d, each once", retroPaid, len(billed))
	}
	rep, err := st.Verify()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
}

// checkRetroAudit reads the job's audit entries: erin's start, then the
// runner's, as the system acting for erin: a run before the kill, a run
// after the restart, and the job done (in that order).
func checkRetroAudit(t *testing.T, admin *client.Admin, job string) {
	t.Helper()
	entries, err := admin.Audit(context.Background(), client.AuditFilter{Object: "retro job " + job})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Method == "retro runner" {
			if e.Subject != "erin" || e.Source != adjudicator.RetroRunnerSource {
				t.Errorf("runner entry %+v: want the system (%s) acting for erin", e, adjudicator.RetroRunnerSource)
			}
			got = append(got, strings.SplitN(e.Detail, ":", 2)[0])
		}
	}
	want := []string{"retro job running", "retro job running", "retro job done"}
	if !slices.Equal(got, want) {
		t.Errorf("the runner's audit entries: %q; want %q", got, want)
	}
}

// pollUntil polls cond until it holds; the deadline only bounds a hung test.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRetroTakeover runs two servers on one PostgreSQL database. A retro
// job started on the first is held there mid-way; the second starts, and
// its runner finds the job held (the first's lock); the first is
// SIGKILLed, its connections and lock go with it, and the second's runner
// takes the job on at its next poll and finishes it by itself: every
// claim reversed once and billed again once, and a replay of the whole
// store finds no difference.
func TestRetroTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dsn := pgtest.DSN(t)
	bin := buildServer(t)
	const claims = 4
	t.Setenv(retroHoldEnv, fmt.Sprint(claims+1)) // the first instance holds after the reversals and one re-bill, before the family's commit
	procA, addrsA := startServerArgs(t, bin, "--store", dsn, "--data-dir", t.TempDir())
	member := coveredMembers(t)[0]
	today := domain.DateOf(time.Now().UTC())
	billed := billSpaced(t, addrsA.claims, member, claims, 880000, today.AddDays(-20))
	req := adjudicator.RetroRequest{JobID: "TAKEOVER-1", Kind: adjudicator.RetroEligibility, CardholderID: member.CardholderID,
		PersonCode: member.PersonCode, From: today.AddDays(-30)}
	retroA := client.NewRetro(dial(t, addrsA.admin), "erin")
	if rep, err := retroA.Start(context.Background(), req); err != nil || rep.State != adjudicator.RetroJobRunning {
		t.Fatalf("start: %v, %+v; want RUNNING", err, rep)
	}
	pollUntil(t, "the job to run on the first instance", func() bool {
		rep, err := retroA.Report(context.Background(), req.JobID)
		return err == nil && len(rep.Job.Claims) == claims
	})
	t.Setenv(retroHoldEnv, "")
	_, addrsB := startServerArgs(t, bin, "--store", dsn, "--data-dir", t.TempDir())
	if err := procA.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procA.Wait()

	retroB := client.NewRetro(dial(t, addrsB.admin), "erin")
	rep, err := retroB.Wait(context.Background(), req.JobID) // nobody starts it again
	if err != nil || rep.State != adjudicator.RetroJobDone || rep.Done != claims || rep.Skipped != 0 {
		t.Fatalf("taken on by the second instance: %v, %+v; want DONE, all %d done", err, rep, claims)
	}
	newIDs := map[string]bool{}
	for _, p := range rep.Progress {
		if !billed[p.ClaimID] || p.NewClaimID == "" || newIDs[p.NewClaimID] {
			t.Errorf("progress %+v: want one of the billed claims, billed again under a new ID of its own", p)
		}
		newIDs[p.NewClaimID] = true
	}
	sum, err := client.NewAdmin(dial(t, addrsB.admin), "erin").ReplayStore(context.Background(), 10, func(r *adjudicator.Replay) error {
		t.Errorf("replay of claim %s differs or was skipped: %+v", r.ClaimID, r)
		return nil
	})
	if err != nil || sum.Claims != 2*claims || sum.Same != sum.Claims {
		t.Fatalf("replay-store: %v, %+v; want all %d claims the same", err, sum, 2*claims)
	}
}

// billSpaced bills n 3-day fills of member through the server at addr,
// four days apart from first, numbering prescriptions from rx; each must
// pay. It returns the claim IDs paid.
func billSpaced(t *testing.T, addr string, member *adjudicator.Claim, n, rx int, first domain.Date) map[string]bool {
	t.Helper()
	billed := map[string]bool{}
	bills := client.NewClaims(dial(t, addr))
	for i := range n {
		c := *member
		c.RxNumber, c.FillNumber = fmt.Sprint(rx+i), 0
		c.DateOfService = first.AddDays(4 * i).String()
		c.DaysSupply, c.Quantity = 3, "3"
		r, err := bills.Bill(context.Background(), &c)
		if err != nil || r.Status != adjudicator.Paid {
			t.Fatalf("bill %d: %v %+v", i, err, r)
		}
		billed[r.ClaimID] = true
	}
	return billed
}
