package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

// testRetroJobs checks a store that keeps retro jobs (adjudicator.RetroStore;
// others skip it): a job is created once, with its audit entry, and a
// second creation of its ID writes nothing; a pending job's claims are
// stored once chosen, with their audit entry; progress records go in the
// commit that carries them, with the claim writes or alone, each replacing
// the one of its job and index, and read back in index order; all of it
// survives a reopen.
func testRetroJobs(t *testing.T, open Open) {
	s, reopen := open(t)
	rs, ok := s.(adjudicator.RetroStore)
	if !ok {
		t.Skip("the store keeps no retro jobs")
	}
	rec := Record("0000000000000000aa01", "700001", "RETROFAM")
	job := &adjudicator.RetroJob{ID: "J-1", Created: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		Request: adjudicator.RetroRequest{JobID: "J-1", Kind: adjudicator.RetroEligibility, CardholderID: "RETROFAM", PersonCode: "001",
			From: domain.MustDate("2026-03-01"), To: domain.MustDate("2026-11-30")},
		Claims: []adjudicator.RetroClaim{{ClaimID: rec.ID, CardholderID: "RETROFAM", PersonCode: "001", Key: rec.Key, DateOfService: "2026-04-01"},
			{ClaimID: "0000000000000000aa02", CardholderID: "RETROFAM", PersonCode: "001", Key: rec.Key, DateOfService: "2026-05-01"}}}
	if got, err := rs.RetroJob(ctx, "J-1"); err != nil || got != nil {
		t.Fatalf("RetroJob of an absent job = %v, %v; want nil, nil", got, err)
	}
	e := entry("erin", "StartEligibilityRetro", 1, "retro job J-1")
	created, err := rs.CreateRetroJob(ctx, job, e)
	if err != nil || !created {
		t.Fatalf("CreateRetroJob = %v, %v; want created", created, err)
	}
	if e.Seq == 0 {
		t.Fatal("the audit entry was not appended with the job")
	}
	again := *job
	again.Claims = nil
	e2 := entry("erin", "StartEligibilityRetro", 2, "retro job J-1")
	if created, err := rs.CreateRetroJob(ctx, &again, e2); err != nil || created || e2.Seq != 0 {
		t.Fatalf("a second CreateRetroJob of J-1 = %v, %v (audit seq %d); want not created, nothing written", created, err, e2.Seq)
	}
	pending := &adjudicator.RetroJob{ID: "J-P", Created: job.Created, Request: job.Request, Pending: true}
	pending.Request.JobID = "J-P"
	if created, err := rs.CreateRetroJob(ctx, pending, nil); err != nil || !created {
		t.Fatalf("CreateRetroJob of a pending job = %v, %v", created, err)
	}
	chosen := *pending
	chosen.Pending, chosen.Claims = false, job.Claims
	e3 := entry("erin", "retro runner", 3, "retro job J-P")
	if err := rs.SetRetroJobClaims(ctx, &chosen, e3); err != nil || e3.Seq == 0 {
		t.Fatalf("SetRetroJobClaims = %v (audit seq %d); want written with its audit entry", err, e3.Seq)
	}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rec}, Index: rec})
	rev := reversed(rec)
	p0 := adjudicator.RetroProgress{JobID: "J-1", Index: 0, ClaimID: rec.ID, State: adjudicator.RetroReversed, ReversalID: "r0",
		Before: &adjudicator.RetroOutcome{Status: adjudicator.Paid, PatientPay: dec("5.00")}}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rev}, Retro: &p0})
	p1 := adjudicator.RetroProgress{JobID: "J-1", Index: 1, ClaimID: "0000000000000000aa02", State: adjudicator.RetroSkipped, Note: "gone"}
	commit(t, s, &adjudicator.Commit{Retro: &p1}) // alone
	p0done := p0
	p0done.State, p0done.After = adjudicator.RetroDone, &adjudicator.RetroOutcome{Status: adjudicator.Rejected}
	commit(t, s, &adjudicator.Commit{Retro: &p0done})
	other := adjudicator.RetroProgress{JobID: "J-10", Index: 0, ClaimID: "x", State: adjudicator.RetroSkipped}
	commit(t, s, &adjudicator.Commit{Retro: &other}) // another job, whose ID J-1 prefixes

	s = reopen()
	rs = s.(adjudicator.RetroStore)
	got, err := rs.RetroJob(ctx, "J-1")
	if err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "stored job", got, job)
	if got, err := rs.RetroJob(ctx, "J-P"); err != nil {
		t.Fatal(err)
	} else {
		SameJSON(t, "a pending job once its claims are chosen", got, &chosen)
	}
	prog, err := rs.RetroProgress(ctx, "J-1")
	if err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "progress of J-1", prog, []adjudicator.RetroProgress{p0done, p1})
	if r, err := s.Claim(rec.ID); err != nil || r == nil || r.Paid() {
		t.Fatalf("the claim reversed in the progress record's commit: %+v, %v", r, err)
	}
	if none, err := rs.RetroProgress(ctx, "J-2"); err != nil || len(none) != 0 {
		t.Fatalf("progress of an absent job = %v, %v; want none", none, err)
	}
}

// testRetroJobStatus checks a RetroStore's job statuses: a job is created
// RUNNING, a status is replaced with its audit entry, only RUNNING jobs
// are listed to run, in ID order, and all of it survives a reopen.
func testRetroJobStatus(t *testing.T, open Open) {
	s, reopen := open(t)
	rs, ok := s.(adjudicator.RetroStore)
	if !ok {
		t.Skip("the store keeps no retro jobs")
	}
	created := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, id := range []string{"J-1", "J-0"} {
		job := &adjudicator.RetroJob{ID: id, Created: created, Request: adjudicator.RetroRequest{JobID: id, Kind: adjudicator.RetroConfiguration,
			PlanID: "PPO", From: domain.MustDate("2026-03-01"), To: domain.MustDate("2026-03-31")}}
		if ok, err := rs.CreateRetroJob(ctx, job, nil); err != nil || !ok {
			t.Fatalf("CreateRetroJob %s = %v, %v", id, ok, err)
		}
	}
	if st, err := rs.RetroJobStatus(ctx, "J-1"); err != nil {
		t.Fatal(err)
	} else {
		SameJSON(t, "a new job's status", st, &adjudicator.RetroJobStatus{JobID: "J-1", State: adjudicator.RetroJobRunning, At: created})
	}
	if st, err := rs.RetroJobStatus(ctx, "J-2"); err != nil || st != nil {
		t.Fatalf("status of an absent job = %v, %v; want nil, nil", st, err)
	}
	if ids, err := rs.RunningRetroJobs(ctx); err != nil || !slices.Equal(ids, []string{"J-0", "J-1"}) {
		t.Fatalf("RunningRetroJobs = %v, %v; want [J-0 J-1]", ids, err)
	}
	failed := &adjudicator.RetroJobStatus{JobID: "J-0", State: adjudicator.RetroJobFailed, Error: "broken", At: created.Add(time.Minute)}
	e := entry("erin", "retro runner", 3, "retro job J-0")
	if err := rs.SetRetroJobStatus(ctx, failed, e); err != nil || e.Seq == 0 {
		t.Fatalf("SetRetroJobStatus = %v (audit seq %d); want written with its audit entry", err, e.Seq)
	}
	s = reopen()
	rs = s.(adjudicator.RetroStore)
	if st, err := rs.RetroJobStatus(ctx, "J-0"); err != nil {
		t.Fatal(err)
	} else {
		SameJSON(t, "a failed job's status", st, failed)
	}
	if ids, err := rs.RunningRetroJobs(ctx); err != nil || !slices.Equal(ids, []string{"J-1"}) {
		t.Fatalf("RunningRetroJobs after J-0 failed = %v, %v; want [J-1]", ids, err)
	}
}
