package adjudicator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// TestRetroRunner: a submitted job is stored RUNNING and nothing of it is
// done (not even choosing its claims) until a runner runs it; a runner started afterwards (as at a
// server's start) finds it and runs it to DONE by itself; submitting it
// again then only reports it, and no job is left to run.
func TestRetroRunner(t *testing.T) {
	ctx := context.Background()
	day := domain.MustDate("2026-06-01")
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	e, st := scenario.NewEngine(t, demo.Config(), t.TempDir(), func() time.Time { return now })
	plan, paid := "", 0
	for n, c := range demo.CoveredClaims(demo.Config(), day) {
		c.RxNumber = fmt.Sprint(510000 + n)
		r, err := e.Bill(ctx, c)
		if err != nil || r.Status != adjudicator.Paid {
			t.Fatalf("bill: %v %+v", err, r)
		}
		if plan == "" {
			plan = r.PlanID
		}
		if r.PlanID == plan {
			paid++
		}
	}
	req := adjudicator.RetroRequest{JobID: "RUNNER-1", Kind: adjudicator.RetroConfiguration, PlanID: plan, From: day, To: day}
	rep, err := e.SubmitRetro(ctx, req, adjudicator.Actor("bob"))
	if err != nil || rep.State != adjudicator.RetroJobRunning || !rep.Job.Pending || len(rep.Job.Claims) != 0 || rep.Finished {
		t.Fatalf("submitted: %v, %+v; want RUNNING, its claims to be chosen when it runs", err, rep)
	}
	if again, err := e.SubmitRetro(ctx, req, adjudicator.Actor("bob")); err != nil || again.State != adjudicator.RetroJobRunning {
		t.Fatalf("submitted again while RUNNING: %v, %+v", err, again)
	}
	if ids, err := st.RunningRetroJobs(ctx); err != nil || len(ids) != 1 || ids[0] != req.JobID {
		t.Fatalf("jobs to run: %v, %v; want [%s]", ids, err, req.JobID)
	}

	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		adjudicator.NewRetroRunner(e, adjudicator.RetroRunnerOptions{}).Run(runCtx)
		close(stopped)
	}()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if rep, err = e.RetroReport(ctx, req.JobID); err != nil || rep.State != adjudicator.RetroJobRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting for the runner") // bounds a hung test only
		}
	}
	stop()
	<-stopped
	if err != nil || rep.State != adjudicator.RetroJobDone || !rep.Finished || rep.Done != paid || len(rep.Job.Claims) != paid {
		t.Fatalf("run by the runner: %v, %+v; want DONE, %d re-adjudicated", err, rep, paid)
	}
	if again, err := e.SubmitRetro(ctx, req, adjudicator.Actor("bob")); err != nil || again.State != adjudicator.RetroJobDone || again.Done != paid {
		t.Fatalf("submitted again once DONE: %v, %+v", err, again)
	}
	if ids, err := st.RunningRetroJobs(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("jobs to run once DONE: %v, %v; want none", ids, err)
	}
}
