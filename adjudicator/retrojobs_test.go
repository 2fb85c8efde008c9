package adjudicator_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// retroDay is the day of service of the claims these tests bill; the
// clock stands two weeks later, moving a minute per submitted job, so
// jobs have distinct submission times.
var retroDay = domain.MustDate("2026-06-01")

type retroClock struct{ minutes atomic.Int64 }

func (c *retroClock) now() time.Time {
	return time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC).Add(time.Duration(c.minutes.Load()) * time.Minute)
}

func (c *retroClock) tick() { c.minutes.Add(1) }

// billRetroClaims bills the demo's covered claims on retroDay and returns
// the plan of the first, how many that plan paid, and one of its members.
func billRetroClaims(t *testing.T, e *adjudicator.Engine) (plan string, paid int, cardholder, person string) {
	t.Helper()
	for n, c := range demo.CoveredClaims(demo.Config(), retroDay) {
		c.RxNumber = fmt.Sprint(520000 + n)
		r, err := e.Bill(context.Background(), c)
		if err != nil || r.Status != adjudicator.Paid {
			t.Fatalf("bill: %v %+v", err, r)
		}
		if plan == "" {
			plan, cardholder, person = r.PlanID, c.CardholderID, c.PersonCode
		}
		if r.PlanID == plan {
			paid++
		}
	}
	return plan, paid, cardholder, person
}

// TestRetroJobsOneAtATime runs three jobs over the same families, a
// configuration retro, an eligibility retro of one of its members and the
// configuration retro again, submitted in that order on a store shared by
// two engines (PostgreSQL) or on one engine (Pebble). A job waits
// (ErrBusy) while one submitted before it has not ended, on either engine,
// and chooses its claims when it runs: each job reverses and re-bills
// every claim of its families once, none is skipped, the later jobs take
// the earlier ones' re-bills, and the store verifies clean.
func TestRetroJobsOneAtATime(t *testing.T) {
	t.Run("pebble", func(t *testing.T) {
		clock := &retroClock{}
		e, st := scenario.NewEngine(t, demo.Config(), t.TempDir(), clock.now)
		testRetroJobsOneAtATime(t, clock, e, e, func() *store.Report {
			rep, err := st.Verify()
			if err != nil {
				t.Fatal(err)
			}
			return rep
		})
	})
	t.Run("postgres", func(t *testing.T) {
		clock := &retroClock{}
		s1, e1, e2 := twoPostgresEngines(t, clock)
		testRetroJobsOneAtATime(t, clock, e1, e2, func() *store.Report {
			rep, err := s1.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return rep
		})
	})
}

func testRetroJobsOneAtATime(t *testing.T, clock *retroClock, e1, e2 *adjudicator.Engine, verify func() *store.Report) {
	ctx := context.Background()
	plan, paid, cardholder, person := billRetroClaims(t, e1)
	before := verify()
	if len(before.Problems) != 0 {
		t.Fatalf("before the jobs: %v", before.Problems)
	}
	a := adjudicator.RetroRequest{JobID: "ORDER-A", Kind: adjudicator.RetroConfiguration, PlanID: plan, From: retroDay, To: retroDay}
	b := adjudicator.RetroRequest{JobID: "ORDER-B", Kind: adjudicator.RetroEligibility, CardholderID: cardholder, PersonCode: person, From: retroDay}
	c := a
	c.JobID = "ORDER-C"
	for _, sub := range []struct {
		e   *adjudicator.Engine
		req adjudicator.RetroRequest
	}{{e1, a}, {e2, b}, {e1, c}} {
		if _, err := sub.e.SubmitRetro(ctx, sub.req, adjudicator.Actor("carol")); err != nil {
			t.Fatal(err)
		}
		clock.tick()
	}

	// Job A runs on e1 and holds after its first step: neither engine
	// runs anything else meanwhile.
	held, resume := make(chan struct{}), make(chan struct{})
	var steps atomic.Int64
	adjudicator.SetRetroStepHook(e1, func() {
		if steps.Add(1) == 1 {
			close(held)
			<-resume
		}
	})
	ranA := make(chan error, 1)
	go func() { ranA <- e1.RunRetroJob(ctx, a.JobID) }()
	<-held
	for _, run := range []struct {
		e  *adjudicator.Engine
		id string
	}{{e2, a.JobID}, {e2, b.JobID}, {e2, c.JobID}, {e1, b.JobID}} {
		if err := run.e.RunRetroJob(ctx, run.id); !errors.Is(err, adjudicator.ErrBusy) {
			t.Errorf("job %s run while job A runs: %v; want ErrBusy", run.id, err)
		}
	}
	close(resume)
	if err := <-ranA; err != nil {
		t.Fatalf("job A: %v", err)
	}
	adjudicator.SetRetroStepHook(e1, nil)
	if err := e1.RunRetroJob(ctx, c.JobID); !errors.Is(err, adjudicator.ErrBusy) {
		t.Errorf("job C run before job B, submitted before it: %v; want ErrBusy", err)
	}
	if err := e2.RunRetroJob(ctx, b.JobID); err != nil {
		t.Fatalf("job B: %v", err)
	}
	if err := e1.RunRetroJob(ctx, c.JobID); err != nil {
		t.Fatalf("job C: %v", err)
	}

	checkRetroChain(t, e1, paid, cardholder, person, a.JobID, b.JobID, c.JobID)
	after := verify()
	if len(after.Problems) != 0 || after.Paid != before.Paid {
		t.Fatalf("after the jobs: %d paid claims (%d before), problems %v", after.Paid, before.Paid, after.Problems)
	}
}

// checkRetroChain checks jobs a, b and c ended DONE, each job re-billing
// every claim it chose, none skipped: b (the member's eligibility retro)
// chose a's re-bills of the member's claims, and c b's and a's.
func checkRetroChain(t *testing.T, e *adjudicator.Engine, paid int, cardholder, person, a, b, c string) {
	t.Helper()
	ctx := context.Background()
	reports := map[string]*adjudicator.RetroReport{}
	for _, id := range []string{a, b, c} {
		rep, err := e.RetroReport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := paid
		if id == b {
			want = len(rep.Job.Claims) // the member's claims: checked below
		}
		if rep.State != adjudicator.RetroJobDone || !rep.Finished || rep.Skipped != 0 || rep.Done != want || want == 0 {
			t.Errorf("job %s: %s, %d claims, %d re-billed, %d skipped; want DONE, %d re-billed, none skipped",
				id, rep.State, len(rep.Job.Claims), rep.Done, rep.Skipped, want)
		}
		reports[id] = rep
	}
	// B took A's re-bills of the member's claims, and C B's and A's.
	rebilledBy := func(id string) map[string]bool {
		out := map[string]bool{}
		for _, p := range reports[id].Progress {
			out[p.NewClaimID] = true
		}
		return out
	}
	for _, pair := range [][2]string{{a, b}, {b, c}} {
		earlier := rebilledBy(pair[0])
		took := 0
		for _, cl := range reports[pair[1]].Job.Claims {
			if earlier[cl.ClaimID] {
				took++
			}
		}
		if took == 0 {
			t.Errorf("job %s took none of job %s's re-bills", pair[1], pair[0])
		}
	}
	for _, cl := range reports[b].Job.Claims {
		if cl.CardholderID != cardholder || cl.PersonCode != person || !rebilledBy(a)[cl.ClaimID] {
			t.Errorf("job B chose claim %s, not one of the member's re-billed by job A", cl.ClaimID)
		}
	}
}

// faultyStore is a Pebble store whose writes of a retro job's re-bills
// fail from the failAt-th on, until healed: a real store with a real fault
// in its write path, the engine untouched.
type faultyStore struct {
	*store.Store
	failAt  int64
	rebills atomic.Int64
	healed  atomic.Bool
}

var errInjected = errors.New("injected write failure")

func (s *faultyStore) fault(c *adjudicator.Commit) error {
	if c.Retro == nil || c.Retro.State != adjudicator.RetroDone || s.healed.Load() {
		return nil
	}
	if s.rebills.Add(1) >= s.failAt {
		return errInjected
	}
	return nil
}

func (s *faultyStore) Commit(ctx context.Context, c *adjudicator.Commit) error {
	if err := s.fault(c); err != nil {
		return err
	}
	return s.Store.Commit(ctx, c)
}

// CommitAll fails a retro family's commit that holds the failAt-th re-bill.
func (s *faultyStore) CommitAll(ctx context.Context, cs []*adjudicator.Commit) error {
	for _, c := range cs {
		if err := s.fault(c); err != nil {
			return err
		}
	}
	return s.Store.CommitAll(ctx, cs)
}

func (s *faultyStore) Apply(ctx context.Context, c *adjudicator.Commit) (func() error, error) {
	if err := s.fault(c); err != nil {
		return nil, err
	}
	return s.Store.Apply(ctx, c)
}

// TestRetroJobFails: a store write failing in the middle of a job ends
// the job FAILED, with its error in the report and the audit trail; a
// family's reversals and re-bills are one commit, so the failure leaves
// no claim reversed and not billed again (every claim of the job is still
// paid under its key, the original or its re-bill), and the store
// verifies clean. Submitted again, it resumes where it stopped and ends
// DONE with every claim re-billed once, with the same answers as the same
// job on a store that never failed.
func TestRetroJobFails(t *testing.T) {
	ctx := context.Background()
	clock := &retroClock{}
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &faultyStore{Store: st, failAt: 2}
	e := scenario.NewEngineOn(t, demo.Config(), fs, clock.now)
	plan, paid, _, _ := billRetroClaims(t, e)
	req := adjudicator.RetroRequest{JobID: "FAIL-1", Kind: adjudicator.RetroConfiguration, PlanID: plan, From: retroDay, To: retroDay}

	if _, err := e.StartRetro(ctx, req, adjudicator.Actor("carol")); !errors.Is(err, errInjected) {
		t.Fatalf("the job over a failing store: %v; want the injected failure", err)
	}
	rep, err := e.RetroReport(ctx, req.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != adjudicator.RetroJobFailed || rep.Finished || rep.Done >= paid || rep.Reversed != 0 ||
		!strings.Contains(rep.Error, errInjected.Error()) {
		t.Fatalf("failed job: %s %q, %d re-billed, %d reversed; want FAILED with its error, fewer than %d re-billed and none left reversed",
			rep.State, rep.Error, rep.Done, rep.Reversed, paid)
	}
	for _, c := range rep.Job.Claims {
		if rec, err := st.ClaimByKey(ctx, c.Key); err != nil || rec == nil || !rec.Paid() {
			t.Fatalf("claim %s after the failure: %v, %+v; want a paid claim under its key (the original or its re-bill)", c.ClaimID, err, rec)
		}
	}
	entries, err := e.ReadAudit(ctx, adjudicator.AuditQuery{Object: "retro job " + req.JobID})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, a := range entries {
		if a.Source == adjudicator.RetroRunnerSource && a.Outcome == adjudicator.AuditFailed("retro job") && strings.Contains(a.Detail, errInjected.Error()) {
			audited = true
		}
	}
	if !audited {
		t.Fatalf("no audit entry of the failure in %+v", entries)
	}
	if v, err := st.Verify(); err != nil || len(v.Problems) != 0 {
		t.Fatalf("the store after the failure: %v, %+v", err, v)
	}
	if ids, err := st.RunningRetroJobs(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("jobs to run after the failure: %v, %v; want none (FAILED waits to be submitted again)", ids, err)
	}

	fs.healed.Store(true)
	if again, err := e.SubmitRetro(ctx, req, adjudicator.Actor("carol")); err != nil || again.State != adjudicator.RetroJobRunning {
		t.Fatalf("submitted again: %v, %+v", err, again)
	}
	if err := e.RunRetroJob(ctx, req.JobID); err != nil {
		t.Fatal(err)
	}
	rep, err = e.RetroReport(ctx, req.JobID)
	if err != nil || rep.State != adjudicator.RetroJobDone || !rep.Finished || rep.Done != paid || rep.Skipped != 0 || rep.Reversed != 0 {
		t.Fatalf("resumed: %v, %+v; want DONE, %d re-billed", err, rep, paid)
	}
	if v, err := st.Verify(); err != nil || len(v.Problems) != 0 {
		t.Fatalf("the store after the resumed job: %v, %+v", err, v)
	}

	// The same job on a store that never failed gives the same answers.
	clean, _ := scenario.NewEngine(t, demo.Config(), t.TempDir(), (&retroClock{}).now)
	billRetroClaims(t, clean)
	want, err := clean.StartRetro(ctx, req, adjudicator.Actor("carol"))
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Progress) != len(rep.Progress) || !want.PlanPaidAfter.Equal(rep.PlanPaidAfter) || !want.PatientPayAfter.Equal(rep.PatientPayAfter) {
		t.Fatalf("resumed job: plan paid %s, patient pay %s; the job that never failed: %s, %s",
			rep.PlanPaidAfter, rep.PatientPayAfter, want.PlanPaidAfter, want.PatientPayAfter)
	}
	for i := range want.Progress {
		if g, w := rep.Progress[i].After, want.Progress[i].After; fmt.Sprint(*g) != fmt.Sprint(*w) {
			t.Errorf("claim %d after: %+v; the job that never failed: %+v", i, *g, *w)
		}
	}
}

// TestRetroCancel cancels jobs on a store shared by two engines
// (PostgreSQL; on Pebble one engine): a job cancelled from the other
// engine while the first runs its first family stops once that family is
// committed whole, ends CANCELLED with a note of how far it got, and
// leaves no claim reversed and not billed again; a job cancelled before
// it runs never runs; cancelling a job that has ended changes nothing.
func TestRetroCancel(t *testing.T) {
	t.Run("pebble", func(t *testing.T) {
		clock := &retroClock{}
		e, st := scenario.NewEngine(t, demo.Config(), t.TempDir(), clock.now)
		testRetroCancel(t, e, e, st)
	})
	t.Run("postgres", func(t *testing.T) {
		clock := &retroClock{}
		s1, e1, e2 := twoPostgresEngines(t, clock)
		testRetroCancel(t, e1, e2, s1)
	})
}

func testRetroCancel(t *testing.T, e1, e2 *adjudicator.Engine, st adjudicator.Store) {
	ctx := context.Background()
	plan, paid, _, _ := billRetroClaims(t, e1)
	req := adjudicator.RetroRequest{JobID: "CANCEL-1", Kind: adjudicator.RetroConfiguration, PlanID: plan, From: retroDay, To: retroDay}
	if _, err := e1.SubmitRetro(ctx, req, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	adjudicator.SetRetroStepHook(e1, func() {
		once.Do(func() {
			rep, err := e2.CancelRetro(ctx, req.JobID, adjudicator.Actor("carol"))
			if err != nil || rep.State != adjudicator.RetroJobCancelled {
				t.Errorf("cancel while the job runs: %v, %+v", err, rep)
			}
		})
	})
	if err := e1.RunRetroJob(ctx, req.JobID); err != nil {
		t.Fatal(err)
	}
	adjudicator.SetRetroStepHook(e1, nil)
	rep, err := e1.RetroReport(ctx, req.JobID)
	if err != nil {
		t.Fatal(err)
	}
	families := map[string]bool{}
	for _, c := range rep.Job.Claims {
		families[c.CardholderID] = true
	}
	if len(families) < 2 {
		t.Fatalf("the job has %d families; the test needs two or more", len(families))
	}
	first := rep.Job.Claims[0].CardholderID
	want := 0
	for _, c := range rep.Job.Claims {
		if c.CardholderID == first {
			want++
		}
	}
	if rep.State != adjudicator.RetroJobCancelled || rep.Done != want || rep.Reversed != 0 || rep.Finished ||
		!strings.Contains(rep.Note, "cancelled by carol") || !strings.Contains(rep.Note, fmt.Sprintf("stopped after 1 of %d families", len(families))) {
		t.Fatalf("cancelled job: %s %q, %d done, %d reversed; want CANCELLED after its first family's %d claims", rep.State, rep.Note, rep.Done, rep.Reversed, want)
	}
	for _, c := range rep.Job.Claims {
		if rec, err := st.ClaimByKey(ctx, c.Key); err != nil || rec == nil || !rec.Paid() {
			t.Fatalf("claim %s after the cancel: %v, %+v; want a paid claim under its key", c.ClaimID, err, rec)
		}
	}
	if again, err := e1.SubmitRetro(ctx, req, adjudicator.Actor("carol")); err != nil || again.State != adjudicator.RetroJobCancelled {
		t.Fatalf("a cancelled job submitted again: %v, %+v; want it left CANCELLED", err, again)
	}

	pending := req
	pending.JobID = "CANCEL-2"
	if _, err := e1.SubmitRetro(ctx, pending, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	if rep, err := e2.CancelRetro(ctx, pending.JobID, adjudicator.Actor("carol")); err != nil || rep.State != adjudicator.RetroJobCancelled {
		t.Fatalf("cancel of a job not yet running: %v, %+v", err, rep)
	}
	if err := e1.RunRetroJob(ctx, pending.JobID); err != nil {
		t.Fatal(err)
	}
	if rep, err := e1.RetroReport(ctx, pending.JobID); err != nil || rep.State != adjudicator.RetroJobCancelled || !rep.Job.Pending || len(rep.Progress) != 0 {
		t.Fatalf("a job cancelled before it ran, run: %v, %+v; want CANCELLED, nothing done", err, rep)
	}

	done := req
	done.JobID = "CANCEL-3"
	if rep, err := e1.StartRetro(ctx, done, adjudicator.Actor("carol")); err != nil || rep.State != adjudicator.RetroJobDone || rep.Done != paid {
		t.Fatalf("a job run to its end: %v, %+v", err, rep)
	}
	if rep, err := e2.CancelRetro(ctx, done.JobID, adjudicator.Actor("carol")); err != nil || rep.State != adjudicator.RetroJobDone {
		t.Fatalf("cancel of a DONE job: %v, %+v; want it left DONE", err, rep)
	}
	if _, err := e2.CancelRetro(ctx, "NO-SUCH-JOB", adjudicator.Actor("carol")); !errors.Is(err, adjudicator.ErrNotFound) {
		t.Fatalf("cancel of an absent job: %v; want ErrNotFound", err)
	}
}

// twoPostgresEngines opens two stores on the test's PostgreSQL database,
// as two instances would, each with an engine on the demo configuration;
// it returns the first store and both engines.
func twoPostgresEngines(t *testing.T, clock *retroClock) (*pgstore.Store, *adjudicator.Engine, *adjudicator.Engine) {
	t.Helper()
	dsn := pgtest.DSN(t)
	open := func() *pgstore.Store {
		s, err := pgstore.Open(context.Background(), pgstore.Options{DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	return s1, scenario.NewEngineOn(t, demo.Config(), s1, clock.now), scenario.NewEngineOn(t, demo.Config(), s2, clock.now)
}
