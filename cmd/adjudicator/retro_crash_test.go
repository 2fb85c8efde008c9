package main

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/client"
	"github.com/rxclaims/rxclaims/internal/store"
)

// TestRetroCrashResumes kills the real server with SIGKILL in the middle
// of a retro job, after its reversals and two of its re-bills, restarts it
// on the same data and starts the job again: the job resumes where it
// stopped, and every claim is reversed once and billed again once.
func TestRetroCrashResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	data := t.TempDir()
	const claims = 6
	// The server holds after the job's 6 reversals and 2 of its re-bills.
	t.Setenv(retroHoldEnv, fmt.Sprint(claims+2))
	proc, addrs := startServerAddrs(t, bin, data)
	member := coveredMembers(t)[0]
	today := domain.DateOf(time.Now().UTC())
	billed := map[string]bool{}
	bills := client.NewClaims(dial(t, addrs.claims))
	for i := range claims {
		c := *member
		c.RxNumber, c.FillNumber = fmt.Sprint(870000+i), 0
		c.DateOfService = today.AddDays(-25 + 4*i).String()
		c.DaysSupply, c.Quantity = 3, "3"
		r, err := bills.Bill(context.Background(), &c)
		if err != nil || r.Status != adjudicator.Paid {
			t.Fatalf("bill %d: %v %+v", i, err, r)
		}
		billed[r.ClaimID] = true
	}
	req := adjudicator.RetroRequest{JobID: "CRASH-1", Kind: adjudicator.RetroEligibility, CardholderID: member.CardholderID,
		PersonCode: member.PersonCode, From: today.AddDays(-30)}
	retro := client.NewRetro(dial(t, addrs.admin), "erin")
	go func() { _, _ = retro.Start(context.Background(), req) }() // held, then cut off by the kill
	pollUntil(t, "the job to hold mid-way", func() bool {
		rep, err := retro.Report(context.Background(), req.JobID)
		return err == nil && rep.Done == 2
	})
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()

	t.Setenv(retroHoldEnv, "")
	proc, addrs = startServerAddrs(t, bin, data)
	retro = client.NewRetro(dial(t, addrs.admin), "erin")
	rep, err := retro.Report(context.Background(), req.JobID)
	if err != nil || rep.Done != 2 || rep.Finished || len(rep.Progress) != claims {
		t.Fatalf("after the kill: %v, %+v; want 2 of %d done, all reversed", err, rep, claims)
	}
	if rep, err = retro.Start(context.Background(), req); err != nil || !rep.Finished || rep.Done != claims || rep.Skipped != 0 {
		t.Fatalf("resumed: %v, %+v; want all %d done", err, rep, claims)
	}
	again, err := retro.Start(context.Background(), req)
	if err != nil || !again.Finished || again.Done != claims {
		t.Fatalf("started again once finished: %v %+v", err, again)
	}
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
