package adjudicator

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// Retroactive re-adjudication (DOMAIN.md section 12). A retro job takes
// the paid claims a back-dated change affects, fixed when the job starts,
// and re-adjudicates them under the facts now known: the families and the
// configuration in force. Family by family, it first reverses each of the
// family's claims in the job, then bills each again as a new claim (TxRetro)
// in date-of-service order, so every re-billed claim sees the accumulators
// and history the earlier re-billed claims left, and none of the old ones:
// the accumulators end as if the claims had been billed under the new facts.
//
// Every reversal and every re-bill is one claim transaction, under the
// claim key and family locks like any claim, and its commit carries the
// claim's progress record (Commit.Retro). A job stopped by a crash or a
// shutdown is resumed by running it again: claims whose progress says they
// are done are skipped, so none is reversed or billed twice.
//
// A job also has a status (RetroJobStatus): RUNNING from its creation
// until it ends DONE or FAILED. SubmitRetro stores a job and returns at
// once; a RetroRunner (retrorun.go) runs the RUNNING jobs in the
// background, and resumes them when the server starts again. Submitting a
// FAILED job again sets it RUNNING; submitting a RUNNING or DONE one
// changes nothing.
//
// Jobs run one at a time per store, in the order they were submitted
// (RetroJob.Created, then ID), across every engine sharing the store
// (RetroRunLock): a job runs only once every job submitted before it has
// ended DONE or FAILED. Its claims are chosen when it first runs, not when
// it is submitted (RetroJob.Pending), so two jobs over the same families
// never race: the later one sees the claims the earlier one re-billed, and
// none it left half done unless it FAILED.

// TxRetro is the transaction of a claim a retro job billed again. A
// claim a retro job reversed records the reversal's transaction as
// retroReversal of the job's kind ("RETRO/ELIGIBILITY").
const TxRetro = "RETRO"

// retroReversal is the reversal transaction of a retro job of kind k.
func retroReversal(k RetroKind) string { return TxRetro + "/" + string(k) }

// RetroKind is what a retro job re-adjudicates for.
type RetroKind string

// The retro kinds.
const (
	// RetroEligibility: a member's back-dated eligibility change; the
	// member's paid claims with dates of service from From to today.
	RetroEligibility RetroKind = "ELIGIBILITY"
	// RetroConfiguration: a configuration change effective in the past;
	// the paid claims with dates of service from From to To of a plan,
	// group or client.
	RetroConfiguration RetroKind = "CONFIGURATION"
)

// Bounds on a retro job.
const (
	maxRetroDays   = 366    // a configuration retro's date range
	maxRetroClaims = 100000 // claims in one job
	maxRetroReason = 200    // bytes
	maxRetroJobID  = 64     // bytes
)

// RetroRequest chooses what a retro job re-adjudicates.
type RetroRequest struct {
	// JobID names the job: starting a job with the ID of a stored one
	// resumes it (the request must be the same).
	JobID string    `json:"job_id"`
	Kind  RetroKind `json:"kind"`
	// CardholderID and PersonCode name the member (RetroEligibility).
	CardholderID string `json:"cardholder_id,omitempty"`
	PersonCode   string `json:"person_code,omitempty"`
	// From and To bound the dates of service, both included. An
	// eligibility retro runs to the day the job starts (To is set then).
	From domain.Date `json:"from"`
	To   domain.Date `json:"to"`
	// PlanID, GroupID and ClientID select a configuration retro's claims
	// (at least one): the plan that paid the claim, the family's group and
	// the group's client.
	PlanID   string `json:"plan_id,omitempty"`
	GroupID  string `json:"group_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Reason says why, for the report (never member data).
	Reason string `json:"reason,omitempty"`
}

// RetroJob is a stored retro job.
type RetroJob struct {
	ID      string       `json:"id"`
	Request RetroRequest `json:"request"`
	// Claims are the paid claims the job re-adjudicates, fixed when it
	// started, by family, then date of service, then claim ID.
	Claims  []RetroClaim `json:"claims"`
	Created time.Time    `json:"created"`
	By      string       `json:"by,omitempty"`
	// Pending: the job's claims are still to be chosen, when it first
	// runs (once every job submitted before it has ended).
	Pending bool `json:"pending,omitempty"`
}

// RetroClaim is one claim of a retro job.
type RetroClaim struct {
	ClaimID       string   `json:"claim_id"`
	CardholderID  string   `json:"cardholder_id"`
	PersonCode    string   `json:"person_code"`
	Key           ClaimKey `json:"key"`
	DateOfService string   `json:"date_of_service"`
}

// RetroState is where a retro job's claim stands.
type RetroState string

// The retro states. A claim without a progress record is still to do.
const (
	// RetroReversed: the job reversed the claim; its re-bill is to come.
	RetroReversed RetroState = "REVERSED"
	// RetroDone: the job billed the claim again (After says how it went).
	RetroDone RetroState = "DONE"
	// RetroSkipped: the claim was reversed or billed again by another
	// transaction before the job reached it (Note says which).
	RetroSkipped RetroState = "SKIPPED"
)

// RetroProgress is the progress record of one claim of a job.
type RetroProgress struct {
	JobID   string     `json:"job_id"`
	Index   int        `json:"index"` // the claim's place in RetroJob.Claims
	ClaimID string     `json:"claim_id"`
	State   RetroState `json:"state"`
	// ReversalID is the ID of the job's reversal of the claim.
	ReversalID string `json:"reversal_id,omitempty"`
	// NewClaimID is the claim the re-bill paid (none when it rejected).
	NewClaimID string        `json:"new_claim_id,omitempty"`
	Before     *RetroOutcome `json:"before,omitempty"`
	After      *RetroOutcome `json:"after,omitempty"`
	Note       string        `json:"note,omitempty"`
}

// RetroOutcome is what a report shows of an answer.
type RetroOutcome struct {
	Status       Status             `json:"status"`
	Rejects      []ncpdp.RejectCode `json:"rejects,omitempty"`
	PlanID       string             `json:"plan_id,omitempty"`
	TotalAllowed decimal.Decimal    `json:"total_allowed"`
	PlanPaid     decimal.Decimal    `json:"plan_paid"`
	PatientPay   decimal.Decimal    `json:"patient_pay"`
	Deductible   decimal.Decimal    `json:"deductible"`
	Copay        decimal.Decimal    `json:"copay"`
	Coinsurance  decimal.Decimal    `json:"coinsurance"`
}

func outcomeOf(r *Response) *RetroOutcome {
	return &RetroOutcome{Status: r.Status, Rejects: slices.Clone(r.Rejects), PlanID: r.PlanID, TotalAllowed: r.TotalAllowed,
		PlanPaid: r.PlanPaid, PatientPay: r.PatientPay, Deductible: r.Deductible, Copay: r.Copay, Coinsurance: r.Coinsurance}
}

// RetroJobState is where a job as a whole stands.
type RetroJobState string

// The job states.
const (
	// RetroJobRunning: to run, or running; a restarted server resumes it.
	RetroJobRunning RetroJobState = "RUNNING"
	// RetroJobDone: every claim of the job is done or skipped.
	RetroJobDone RetroJobState = "DONE"
	// RetroJobFailed: the job stopped on an error that retrying would not
	// mend (RetroJobStatus.Error); submitting it again sets it running.
	RetroJobFailed RetroJobState = "FAILED"
	// RetroJobCancelled: cancelled (CancelRetro) before it ended; a run
	// stops at its next family boundary, and its note says how far it got.
	// It is never run again.
	RetroJobCancelled RetroJobState = "CANCELLED"
)

// RetroJobStatus is a stored job's state, as its last run left it.
type RetroJobStatus struct {
	JobID string        `json:"job_id"`
	State RetroJobState `json:"state"`
	// Error says what stopped a FAILED job (never member data).
	Error string `json:"error,omitempty"`
	// Note says who cancelled a CANCELLED job and, once its run stopped,
	// how many of its families and claims were done.
	Note string    `json:"note,omitempty"`
	At   time.Time `json:"at"`
}

// RetroReport is a job and how far it got, with totals over its claims.
type RetroReport struct {
	Job *RetroJob `json:"job"`
	// State is the job's status (RUNNING for a job stored before jobs had
	// one, until it is run again), and Error a FAILED job's error.
	State    RetroJobState   `json:"state"`
	Error    string          `json:"error,omitempty"`
	Note     string          `json:"note,omitempty"` // a CANCELLED job's (RetroJobStatus.Note)
	Progress []RetroProgress `json:"progress"`       // by index; claims not yet reached have none
	Finished bool            `json:"finished"`
	// Done counts the claims re-billed; Skipped those left alone; Changed
	// the re-billed claims whose status, reject codes or amounts changed;
	// Reversed the claims reversed whose re-bill is still to come (a
	// FAILED job's, until it is submitted again).
	Done, Skipped, Changed, Reversed int
	MembersAffected                  int
	// Before and after totals over the re-billed claims (a rejected
	// re-bill pays nothing).
	PlanPaidBefore, PlanPaidAfter     decimal.Decimal
	PatientPayBefore, PatientPayAfter decimal.Decimal
}

// ErrNoRetroStore answers a retro job over a store that keeps none.
var ErrNoRetroStore = errors.New("adjudicator: the store does not keep retro jobs")

// retroRuns holds the job running in this engine: one at a time (another
// start answers ErrBusy).
type retroRuns struct {
	mu      sync.Mutex
	running string
}

func (r *retroRuns) take(id string) (release func(), err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running != "" {
		return nil, fmt.Errorf("%w: retro job %s is running; jobs run one at a time, retry when it ends", ErrBusy, r.running)
	}
	r.running = id
	return func() { r.mu.Lock(); r.running = ""; r.mu.Unlock() }, nil
}

// RetroRunLock is the name a RetroLocker holds for the right to run any
// retro job of the store (no job ID can take it): jobs run one at a time
// per store, whichever engine runs them.
const RetroRunLock = "~run"

// StartRetro submits the retro job req describes (SubmitRetro), runs it
// to its end in the call (RunRetroJob) and reports it: the in-process way
// (tests, benchmarks); a server runs jobs on its RetroRunner instead. A
// job stopped by ctx, an error or a crash is resumed by starting it again.
func (e *Engine) StartRetro(ctx context.Context, req RetroRequest, audit *AuditEntry) (*RetroReport, error) {
	rep, err := e.SubmitRetro(ctx, req, audit)
	if err != nil {
		return nil, err
	}
	if rep.State != RetroJobRunning {
		return rep, nil
	}
	if err := e.RunRetroJob(ctx, req.JobID); err != nil {
		return nil, fmt.Errorf("retro job %s stopped (start it again to resume): %w", req.JobID, err)
	}
	return e.RetroReport(ctx, req.JobID)
}

// SubmitRetro stores the retro job req describes, RUNNING, with audit (its
// Objects and Detail are set here), and reports it at once: a RetroRunner
// or RunRetroJob runs it. Given the ID of a stored job with the same
// request, it reports that job, and sets it RUNNING again if it FAILED (or
// was stored before jobs had a status).
func (e *Engine) SubmitRetro(ctx context.Context, req RetroRequest, audit *AuditEntry) (*RetroReport, error) {
	rs, ok := e.retroStore()
	if !ok {
		return nil, ErrNoRetroStore
	}
	if err := e.checkRetro(&req); err != nil {
		return nil, err
	}
	job, err := rs.RetroJob(ctx, req.JobID)
	if err != nil {
		return nil, err
	}
	switch {
	case job == nil:
		if job, err = e.newRetroJob(ctx, rs, req, audit); err != nil {
			return nil, err
		}
	case !sameRetroRequest(job.Request, req):
		return nil, fmt.Errorf("%w: retro job %s exists with another request", ErrInvalid, req.JobID)
	default:
		st, err := rs.RetroJobStatus(ctx, job.ID)
		if err != nil {
			return nil, err
		}
		if st != nil && st.State != RetroJobFailed {
			audit.setDetail(fmt.Sprintf("retro job is %s: nothing to do", st.State))
			break
		}
		if audit != nil {
			audit.Outcome, audit.Detail = AuditOK, fmt.Sprintf("retro job set running again: %d claims", len(job.Claims))
		}
		if err := rs.SetRetroJobStatus(ctx, &RetroJobStatus{JobID: job.ID, State: RetroJobRunning, At: e.now().UTC()}, audit); err != nil {
			return nil, err
		}
	}
	return e.retroReport(ctx, rs, job)
}

// RunRetroJob runs what is left of the stored RUNNING job with the ID, and
// sets it DONE, or FAILED when an error that retrying would not mend stops
// it. A job stopped by ctx, by the store's failure or unavailability, or
// held by another run (ErrBusy) stays RUNNING, to be resumed. The run's
// start, its end and a failure are audited as the system acting for the
// user who started the job. A job not RUNNING is left alone.
func (e *Engine) RunRetroJob(ctx context.Context, id string) error {
	rs, ok := e.retroStore()
	if !ok {
		return ErrNoRetroStore
	}
	release, err := e.retroRuns.take(id)
	if err != nil {
		return err
	}
	defer release()
	if l, ok := rs.(RetroLocker); ok {
		// The store's run lock first (one job at a time per store), then
		// the job's own (which builds before the run lock also take).
		for _, name := range []string{RetroRunLock, id} {
			unlock, err := l.LockRetroJob(ctx, name)
			if err != nil {
				return err
			}
			defer unlock()
		}
	}
	job, err := rs.RetroJob(ctx, id)
	if err != nil {
		return err
	}
	if job == nil {
		return fmt.Errorf("%w: no retro job %s", ErrNotFound, id)
	}
	st, err := rs.RetroJobStatus(ctx, id)
	if err != nil || st != nil && st.State != RetroJobRunning {
		return err // another instance ended it meanwhile, or not to run
	}
	// A job without a status was stored before jobs had one: it runs as
	// RUNNING (its progress says what is left) and then ends DONE.
	queue, err := e.retroQueue(ctx, rs)
	if err != nil {
		return err
	}
	if len(queue) > 0 && queue[0].ID != id {
		return fmt.Errorf("%w: retro job %s waits for job %s, submitted before it, to end", ErrBusy, id, queue[0].ID)
	}
	if job.Pending { // its first run: the claims are chosen, audited with them
		if err := e.selectRetroJob(ctx, rs, job); err != nil {
			return e.endRetroJob(ctx, rs, job, err)
		}
	} else {
		rep, err := e.retroReport(ctx, rs, job)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("retro job running: %d of %d claims done or skipped before", rep.Done+rep.Skipped, len(job.Claims))
		if err := e.AppendAudit(ctx, runnerAudit(e, job, AuditOK, detail)); err != nil && !errors.Is(err, ErrNoAuditLog) {
			return err
		}
	}
	return e.endRetroJob(ctx, rs, job, e.runRetro(ctx, rs, job))
}

// selectRetroJob chooses the claims of a pending job and stores them, with
// the runner's audit entry, in one write: a crash before it leaves the job
// pending, to be chosen again; after it, the job resumes on these claims.
func (e *Engine) selectRetroJob(ctx context.Context, rs RetroStore, job *RetroJob) error {
	claims, err := e.retroClaims(ctx, job.Request)
	if err != nil {
		return err
	}
	chosen := *job
	chosen.Claims, chosen.Pending = claims, false
	audit := runnerAudit(e, job, AuditOK, fmt.Sprintf("retro job running: %d claims chosen", len(claims)))
	if err := rs.SetRetroJobClaims(ctx, &chosen, audit); err != nil {
		return err
	}
	*job = chosen
	return nil
}

// retroQueue returns the RUNNING jobs in the order they run: by
// submission (Created), then ID.
func (e *Engine) retroQueue(ctx context.Context, rs RetroStore) ([]*RetroJob, error) {
	ids, err := rs.RunningRetroJobs(ctx)
	if err != nil {
		return nil, err
	}
	queue := make([]*RetroJob, 0, len(ids))
	for _, id := range ids {
		job, err := rs.RetroJob(ctx, id)
		if err != nil {
			return nil, err
		}
		if job != nil {
			queue = append(queue, job)
		}
	}
	slices.SortStableFunc(queue, func(a, b *RetroJob) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return queue, nil
}

// endRetroJob ends a run of job that stopped with runErr (nil when every
// claim is done): a job stopped by ctx or an error retrying may mend stays
// RUNNING; else it is set DONE, or FAILED with the error, and audited.
func (e *Engine) endRetroJob(ctx context.Context, rs RetroStore, job *RetroJob, runErr error) error {
	id := job.ID
	if errors.Is(runErr, errRetroCancelled) {
		return e.endCancelledJob(ctx, rs, job)
	}
	if runErr != nil && (ctx.Err() != nil || retryable(runErr)) {
		return runErr // stays RUNNING: resumed by the next run
	}
	done := &RetroJobStatus{JobID: id, State: RetroJobDone, At: e.now().UTC()}
	var audit *AuditEntry
	if runErr != nil {
		done.State, done.Error = RetroJobFailed, runErr.Error()
		if rep, err := e.retroReport(ctx, rs, job); err == nil && rep.Reversed > 0 {
			done.Error += fmt.Sprintf(" (%d claims reversed and not yet billed again: submit the job again to finish them)", rep.Reversed)
		}
		audit = runnerAudit(e, job, AuditFailed("retro job"), "retro job failed: "+done.Error)
	} else {
		rep, err := e.retroReport(ctx, rs, job)
		if err != nil {
			return err
		}
		audit = runnerAudit(e, job, AuditOK, fmt.Sprintf("retro job done: %d claims, %d re-adjudicated, %d skipped, %d changed",
			len(job.Claims), rep.Done, rep.Skipped, rep.Changed))
	}
	if err := rs.SetRetroJobStatus(ctx, done, audit); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// errRetroCancelled stops a run whose job was cancelled.
var errRetroCancelled = errors.New("the retro job was cancelled")

// endCancelledJob ends a run stopped by a cancel at a family boundary: the
// job's CANCELLED status gets a note of how far it got, audited as the
// runner's.
func (e *Engine) endCancelledJob(ctx context.Context, rs RetroStore, job *RetroJob) error {
	st, err := rs.RetroJobStatus(ctx, job.ID)
	if err != nil {
		return err
	}
	rep, err := e.retroReport(ctx, rs, job)
	if err != nil {
		return err
	}
	ended := map[int]bool{} // claims done or skipped, by index
	for _, p := range rep.Progress {
		ended[p.Index] = p.State != RetroReversed
	}
	families, done := 0, 0
	for start := 0; start < len(job.Claims); {
		end, finished := start, true
		for ; end < len(job.Claims) && job.Claims[end].CardholderID == job.Claims[start].CardholderID; end++ {
			finished = finished && ended[end]
		}
		families++
		if finished {
			done++
		}
		start = end
	}
	note := fmt.Sprintf("stopped after %d of %d families: %d of %d claims re-adjudicated, %d skipped",
		done, families, rep.Done, len(job.Claims), rep.Skipped)
	if st.Note != "" {
		note = st.Note + "; " + note
	}
	cancelled := &RetroJobStatus{JobID: job.ID, State: RetroJobCancelled, Note: note, At: e.now().UTC()}
	return rs.SetRetroJobStatus(ctx, cancelled, runnerAudit(e, job, AuditOK, "retro job cancelled: "+note))
}

// CancelRetro cancels the stored job with the ID, with audit: a RUNNING
// job is set CANCELLED at once, so one not yet running never runs, and
// one running stops at its next family boundary (never within a family),
// on whichever instance runs it, and notes how far it got. A job that has
// ended (DONE, FAILED or CANCELLED) is left as it is. It reports the job.
func (e *Engine) CancelRetro(ctx context.Context, id string, audit *AuditEntry) (*RetroReport, error) {
	rs, job, err := e.storedJob(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := rs.RetroJobStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	if st != nil && st.State != RetroJobRunning {
		audit.setDetail(fmt.Sprintf("retro job is %s: nothing to cancel", st.State))
		return e.retroReport(ctx, rs, job)
	}
	note := "cancelled"
	if by := audit.subject(); by != "" {
		note += " by " + by
	}
	if audit != nil {
		audit.Outcome, audit.Detail = AuditOK, "retro job cancelled; a run in progress stops at its next family"
	}
	if err := rs.SetRetroJobStatus(ctx, &RetroJobStatus{JobID: id, State: RetroJobCancelled, Note: note, At: e.now().UTC()}, audit); err != nil {
		return nil, err
	}
	return e.retroReport(ctx, rs, job)
}

// retryable reports whether a retro job stopped by err should stay
// RUNNING, to be resumed later: the store failed or is unreachable (a
// restart on a sound store resumes it), the job or a lock it needs is
// held elsewhere, or a transaction met a concurrent one.
func retryable(err error) bool {
	for _, e := range []error{ErrUnavailable, ErrBusy, ErrConflict, ErrStaleConfig, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// runnerAudit is the audit entry of a runner's action on job: the system
// acting for the user who started the job.
func runnerAudit(e *Engine, job *RetroJob, outcome, detail string) *AuditEntry {
	return &AuditEntry{Time: e.now().UTC(), Subject: job.By, Source: RetroRunnerSource, Method: "retro runner",
		Objects: []string{"retro job " + job.ID}, Detail: detail, Outcome: outcome}
}

// RetroRunnerSource is the Source of the audit entries of a retro job's
// runs: the system acting for the entry's Subject, who started the job.
const RetroRunnerSource = "system (retro runner)"

// RetroReport reports the stored job with the ID.
func (e *Engine) RetroReport(ctx context.Context, id string) (*RetroReport, error) {
	rs, job, err := e.storedJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return e.retroReport(ctx, rs, job)
}

// storedJob reads the stored job with the ID; NotFound when there is none.
func (e *Engine) storedJob(ctx context.Context, id string) (RetroStore, *RetroJob, error) {
	rs, ok := e.retroStore()
	if !ok {
		return nil, nil, ErrNoRetroStore
	}
	if err := checkJobID(id); err != nil {
		return nil, nil, err
	}
	job, err := rs.RetroJob(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if job == nil {
		return nil, nil, fmt.Errorf("%w: no retro job %s", ErrNotFound, id)
	}
	return rs, job, nil
}

func (e *Engine) retroStore() (RetroStore, bool) {
	if rs, ok := e.configs.(RetroStore); ok {
		return rs, true
	}
	rs, ok := e.store.(RetroStore)
	return rs, ok
}

// LoaderRetroPrefix begins the IDs of the loader's eligibility jobs
// ("loader:<group>:<file>:<n>"); no configuration job may take one, so a
// file's retro can always run under its own ID.
const LoaderRetroPrefix = "loader:"

func checkJobID(id string) error {
	if id == "" || len(id) > maxRetroJobID || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != "" {
		return fmt.Errorf("%w: a retro job ID is 1 to %d letters, digits or ._:-", ErrInvalid, maxRetroJobID)
	}
	return nil
}

// checkRetro refuses a request that cannot be a job, and sets an
// eligibility retro's To to today.
func (e *Engine) checkRetro(req *RetroRequest) error {
	if err := checkJobID(req.JobID); err != nil {
		return err
	}
	if req.Kind != RetroEligibility && strings.HasPrefix(req.JobID, LoaderRetroPrefix) {
		return fmt.Errorf("%w: retro job IDs beginning %q are the loader's eligibility jobs", ErrInvalid, LoaderRetroPrefix)
	}
	if len(req.Reason) > maxRetroReason || !utf8.ValidString(req.Reason) {
		return fmt.Errorf("%w: the reason is at most %d bytes of UTF-8", ErrInvalid, maxRetroReason)
	}
	today := e.today()
	switch {
	case req.From.IsZero():
		return fmt.Errorf("%w: a retro job needs a from date", ErrInvalid)
	case req.From.After(today):
		return fmt.Errorf("%w: from date %s is in the future: nothing was paid from it yet", ErrInvalid, req.From)
	}
	switch req.Kind {
	case RetroEligibility:
		if req.CardholderID == "" || req.PersonCode == "" {
			return fmt.Errorf("%w: an eligibility retro names a cardholder ID and person code", ErrInvalid)
		}
		for _, v := range []string{req.CardholderID, req.PersonCode} {
			if err := checkText("member", v); err != nil {
				return err
			}
		}
		if req.PlanID != "" || req.GroupID != "" || req.ClientID != "" {
			return fmt.Errorf("%w: an eligibility retro selects by member, not by plan, group or client", ErrInvalid)
		}
		if !req.To.IsZero() && req.To != today {
			return fmt.Errorf("%w: an eligibility retro runs from its date to today", ErrInvalid)
		}
		req.To = today
	case RetroConfiguration:
		if req.CardholderID != "" || req.PersonCode != "" {
			return fmt.Errorf("%w: a configuration retro selects by plan, group or client, not by member", ErrInvalid)
		}
		if req.PlanID == "" && req.GroupID == "" && req.ClientID == "" {
			return fmt.Errorf("%w: a configuration retro needs a plan, group or client", ErrInvalid)
		}
		switch {
		case req.To.IsZero():
			return fmt.Errorf("%w: a configuration retro needs a to date", ErrInvalid)
		case req.To.Before(req.From):
			return fmt.Errorf("%w: to date %s is before from date %s", ErrInvalid, req.To, req.From)
		case req.To.After(today):
			return fmt.Errorf("%w: to date %s is in the future", ErrInvalid, req.To)
		case req.To.After(req.From.AddDays(maxRetroDays - 1)):
			return fmt.Errorf("%w: a configuration retro covers at most %d days of service; split it", ErrInvalid, maxRetroDays)
		}
		snap := e.snap.Load()
		if _, ok := snap.plans[req.PlanID]; req.PlanID != "" && !ok {
			return fmt.Errorf("%w: no plan %s", ErrNotFound, req.PlanID)
		}
		if _, ok := snap.groups[req.GroupID]; req.GroupID != "" && !ok {
			return fmt.Errorf("%w: no group %s", ErrNotFound, req.GroupID)
		}
		if _, ok := snap.clients[req.ClientID]; req.ClientID != "" && !ok {
			return fmt.Errorf("%w: no client %s", ErrNotFound, req.ClientID)
		}
	default:
		return fmt.Errorf("%w: retro kind %q is not %s or %s", ErrInvalid, req.Kind, RetroEligibility, RetroConfiguration)
	}
	return nil
}

// sameRetroRequest reports whether a stored job's request is the one given
// again (an eligibility retro's To is the day it started).
func sameRetroRequest(stored, req RetroRequest) bool {
	if stored.Kind == RetroEligibility {
		req.To = stored.To
	}
	return stored == req
}

// newRetroJob stores the job req describes, pending (its claims are
// chosen when it first runs), with audit. An eligibility retro's member
// must exist.
func (e *Engine) newRetroJob(ctx context.Context, rs RetroStore, req RetroRequest, audit *AuditEntry) (*RetroJob, error) {
	if req.Kind == RetroEligibility {
		fam, err := e.store.Family(ctx, req.CardholderID)
		if err != nil {
			return nil, err
		}
		if fam == nil || fam.Member(req.PersonCode) == nil {
			return nil, fmt.Errorf("%w: no such member", ErrNotFound)
		}
	}
	job := &RetroJob{ID: req.JobID, Request: req, Created: e.now().UTC(), By: audit.subject(), Pending: true}
	if audit != nil {
		audit.Outcome = AuditOK
		audit.Detail = fmt.Sprintf("retro job submitted: %s, dates of service %s to %s; its claims are chosen when it runs", req.Kind, req.From, req.To)
	}
	created, err := rs.CreateRetroJob(ctx, job, audit)
	if err != nil {
		return nil, err
	}
	if !created { // another instance created it meanwhile: run that one
		stored, err := rs.RetroJob(ctx, job.ID)
		if err != nil || stored == nil {
			return nil, errors.Join(err, fmt.Errorf("%w: retro job %s vanished", ErrInternal, job.ID))
		}
		return stored, nil
	}
	return job, nil
}

// retroClaims chooses the paid claims of a job's request, by family, then
// date of service, then claim ID.
func (e *Engine) retroClaims(ctx context.Context, req RetroRequest) ([]RetroClaim, error) {
	var recs []*ClaimRecord
	var err error
	if req.Kind == RetroEligibility {
		recs, err = e.retroMemberClaims(ctx, req)
	} else {
		recs, err = e.retroSelectedClaims(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	claims := make([]RetroClaim, 0, len(recs))
	for _, r := range recs {
		claims = append(claims, RetroClaim{ClaimID: r.ID, CardholderID: r.CardholderID, PersonCode: r.PersonCode,
			Key: r.Key, DateOfService: r.Key.DateOfService})
	}
	slices.SortStableFunc(claims, func(a, b RetroClaim) int {
		return cmpStrings(a.CardholderID, b.CardholderID, a.DateOfService, b.DateOfService, a.ClaimID, b.ClaimID)
	})
	return claims, nil
}

// cmpStrings compares pairs in turn: (a1, b1), then (a2, b2), ...
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// retroMemberClaims are the member's paid claims from req.From to req.To.
func (e *Engine) retroMemberClaims(ctx context.Context, req RetroRequest) ([]*ClaimRecord, error) {
	fam, err := e.store.Family(ctx, req.CardholderID)
	if err != nil {
		return nil, err
	}
	if fam == nil || fam.Member(req.PersonCode) == nil {
		return nil, fmt.Errorf("%w: no such member", ErrNotFound)
	}
	recs, err := e.MemberClaims(ctx, req.CardholderID, req.PersonCode, req.From, req.To)
	if err != nil {
		return nil, err
	}
	if len(recs) > maxRetroClaims {
		return nil, fmt.Errorf("%w: %d claims is more than a job's %d", ErrInvalid, len(recs), maxRetroClaims)
	}
	return recs, nil
}

// retroSelectedClaims are the paid claims a configuration retro selects.
// Over a store with a HistoryScanner it reads the history entries (small,
// one per paid claim, by family), checks the group or client once per
// family with a claim in the date range, and reads only the claim records
// of those entries; else it reads every stored claim record.
func (e *Engine) retroSelectedClaims(ctx context.Context, req RetroRequest) ([]*ClaimRecord, error) {
	return e.retroSelect(ctx, req, true)
}

// retroSelect is retroSelectedClaims; without useHistory it reads every
// claim record (the benchmark's baseline).
func (e *Engine) retroSelect(ctx context.Context, req RetroRequest, useHistory bool) ([]*ClaimRecord, error) {
	sel := DryRunSelection{From: req.From, To: req.To, PlanID: req.PlanID, GroupID: req.GroupID, ClientID: req.ClientID}
	selected := e.selector(ctx, e.snap.Load(), sel)
	var out []*ClaimRecord
	keep := func(rec *ClaimRecord) error {
		if !selected(rec) {
			return nil
		}
		if len(out) == maxRetroClaims {
			return fmt.Errorf("%w: more than a job's %d claims are selected; narrow the selection", ErrInvalid, maxRetroClaims)
		}
		out = append(out, rec)
		return nil
	}
	hs, ok := e.store.(HistoryScanner)
	reader, readable := e.store.(ClaimReader)
	if ok && readable && useHistory {
		snap := e.snap.Load()
		err := hs.ForEachFamilyHistory(req.To, func(cardholderID string, members map[string][]HistoryEntry) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !anyWithin(members, sel) {
				return nil
			}
			if sel.GroupID != "" || sel.ClientID != "" {
				if in, err := e.familyIn(ctx, snap, cardholderID, sel); err != nil || !in {
					return err
				}
			}
			for _, hist := range members {
				for _, h := range hist {
					if h.DateOfService.Before(sel.From) {
						continue
					}
					rec, err := reader.Claim(h.ClaimID)
					if err != nil {
						return err
					}
					if rec == nil {
						return fmt.Errorf("%w: history entry of claim %s, which is not stored", ErrInternal, h.ClaimID)
					}
					if err := keep(rec); err != nil {
						return err
					}
				}
			}
			return nil
		})
		return out, err
	}
	scanner, ok := e.store.(ClaimScanner)
	if !ok {
		return nil, errors.New("adjudicator: the store cannot list its claims")
	}
	err := scanner.ForEachClaim(func(rec *ClaimRecord) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return keep(rec)
	})
	return out, err
}

// runRetro does what is left of job, family by family: the reversals,
// then the re-bills in date-of-service order.
func (e *Engine) runRetro(ctx context.Context, rs RetroStore, job *RetroJob) error {
	stored, err := rs.RetroProgress(ctx, job.ID)
	if err != nil {
		return err
	}
	progress := make([]*RetroProgress, len(job.Claims))
	for i := range stored {
		if p := &stored[i]; p.Index >= 0 && p.Index < len(progress) {
			progress[p.Index] = p
		}
	}
	for start := 0; start < len(job.Claims); {
		end := start + 1
		for end < len(job.Claims) && job.Claims[end].CardholderID == job.Claims[start].CardholderID {
			end++
		}
		// Between families, the job's status is read again: a cancel, on
		// this instance or another sharing the store, stops it here.
		if st, err := rs.RetroJobStatus(ctx, job.ID); err != nil {
			return err
		} else if st != nil && st.State == RetroJobCancelled {
			return errRetroCancelled
		}
		if err := e.retroFamilyReadable(job, progress, start, end); err != nil {
			return err // before the family's first write
		}
		seq, began := e.ids.issued(), time.Now()
		if bc, ok := e.store.(BatchCommitter); ok && end-start <= maxRetroFamilyCommit {
			if err := e.retroFamilyAtOnce(ctx, bc, job, progress, start, end); err != nil {
				return err
			}
			if err := e.retroYield(ctx, seq, began, 2*(end-start)); err != nil {
				return err
			}
			start = end
			continue
		}
		for i := start; i < end; i++ {
			if progress[i] != nil {
				continue
			}
			if progress[i], err = e.retroReverse(ctx, job, i); err != nil {
				return err
			}
			e.afterRetroStep()
		}
		for i := start; i < end; i++ {
			if progress[i].State != RetroReversed {
				continue
			}
			if progress[i], err = e.retroRebill(ctx, job, progress[i]); err != nil {
				return err
			}
			e.afterRetroStep()
		}
		if err := e.retroYield(ctx, seq, began, 2*(end-start)); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// maxRetroPause bounds the pause of retroYield.
const maxRetroPause = 100 * time.Millisecond

// retroYield gives way to claims between a retro job's families. When this
// engine gave claims IDs other than the family's own (at most own) since
// seq was read at the family's start, claims are flowing: the job pauses
// as long as the family took (at most maxRetroPause), so it takes at most
// about half the time while claims compete with it. Otherwise it only
// lets runnable goroutines go first. It reads a counter the claims keep
// anyway: nothing is added to the claim path.
func (e *Engine) retroYield(ctx context.Context, seq uint32, began time.Time, own int) error {
	if e.ids.issued()-seq <= uint32(own) {
		runtime.Gosched()
		return nil
	}
	t := time.NewTimer(min(time.Since(began), maxRetroPause))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retroFamilyReadable checks, before a family's first reversal, that each
// of its claims still to re-bill (job.Claims[start:end]) is stored with the
// claim as submitted, which its re-bill needs: a claim the job could not
// bill again fails the job with the family untouched.
func (e *Engine) retroFamilyReadable(job *RetroJob, progress []*RetroProgress, start, end int) error {
	reader, ok := e.store.(ClaimReader)
	if !ok {
		return errors.New("adjudicator: the store cannot read claims by ID")
	}
	for i := start; i < end; i++ {
		if progress[i] != nil && progress[i].State != RetroReversed {
			continue
		}
		rec, err := reader.Claim(job.Claims[i].ClaimID)
		if err != nil {
			return err
		}
		if rec == nil || rec.Claim == nil {
			return fmt.Errorf("%w: retro job %s: claim %s is not stored as submitted; it cannot be billed again", ErrInternal, job.ID, job.Claims[i].ClaimID)
		}
	}
	return nil
}

func (e *Engine) afterRetroStep() {
	if e.retroStepHook != nil {
		e.retroStepHook()
	}
}

// retroReverse reverses claim i of job, with its progress record, in one
// claim transaction; a claim no longer paid is recorded as skipped.
func (e *Engine) retroReverse(ctx context.Context, job *RetroJob, i int) (*RetroProgress, error) {
	if err := e.storeFailed(); err != nil {
		return nil, err
	}
	var out *RetroProgress
	_, err := e.transact(ctx, func(ctx context.Context) (*Response, error) {
		a := &adjudication{engine: e, store: e.store, docs: newDocSet(e.store), resp: &Response{}, step: "retro reversal"}
		p, err := a.retroReversal(ctx, job, i)
		a.release()
		if err == nil && a.wait != nil {
			err = a.wait()
		}
		out = p
		return nil, err
	})
	return out, err
}

// retroReversal takes the claim's key and family locks, reverses the claim
// if it is still the paid claim under its key, and commits.
func (a *adjudication) retroReversal(ctx context.Context, job *RetroJob, i int) (*RetroProgress, error) {
	item := job.Claims[i]
	a.key = item.Key
	a.key.RxNumber = canonicalRxNumber(item.Key.RxNumber) // the lock a bill of the key takes
	var err error
	if a.unlockKey == nil { // else the family's locks are held (retroFamilyAtOnce)
		if a.unlockKey, err = a.engine.lockKey(ctx, a.key); err != nil {
			return nil, err
		}
		if a.unlockFamilies, err = a.engine.lockFamilies(ctx, item.CardholderID); err != nil {
			return nil, err
		}
	}
	p := &RetroProgress{JobID: job.ID, Index: i, ClaimID: item.ClaimID}
	rec, err := a.store.ClaimByKey(ctx, item.Key)
	if err != nil {
		return nil, fmt.Errorf("claim lookup: %w", err)
	}
	if rec == nil || rec.ID != item.ClaimID || !rec.Paid() || rec.Response == nil {
		p.State, p.Note = RetroSkipped, "no longer paid when the job reached it: reversed or rebilled meanwhile"
		return p, a.durable(ctx, &Commit{Retro: p})
	}
	if err := a.docs.remove(ctx, rec); err != nil {
		return nil, err
	}
	id, err := a.newID(ctx) // under the family lock, as a claim's
	if err != nil {
		return nil, err
	}
	resp := a.resp
	resp.Status, resp.ClaimID = Accepted, id
	resp.ReversedClaimID, resp.PlanID = rec.ID, rec.Response.PlanID
	resp.finishMessage()
	a.trace("", "claim %s reversed by retro job %s; its %d accumulator contributions removed", rec.ID, job.ID, len(rec.Contributions))
	reversed := *rec
	reversed.Reversal = &ReversalRecord{Transaction: retroReversal(job.Request.Kind), Response: resp}
	p.State, p.ReversalID, p.Before = RetroReversed, resp.ClaimID, outcomeOf(rec.Response)
	return p, a.durable(ctx, &Commit{Records: []*ClaimRecord{&reversed}, Docs: a.docs.writes(), Retro: p})
}

// retroRebill bills the claim p records again, as it was submitted, under
// the configuration in force; a paid re-bill commits with p, done, and a
// rejected one writes p alone.
func (e *Engine) retroRebill(ctx context.Context, job *RetroJob, p *RetroProgress) (*RetroProgress, error) {
	if err := e.storeFailed(); err != nil {
		return nil, err
	}
	var done *RetroProgress
	var pending bool
	_, err := e.transact(ctx, func(ctx context.Context) (*Response, error) {
		var err error
		done, pending, err = e.rebillOne(ctx, e.store, job, p, false)
		return nil, err
	})
	if err != nil || !pending {
		return done, err
	}
	if err := e.store.Commit(ctx, &Commit{Retro: done}); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return done, nil
}

// rebillOne bills the claim p records again over s: the store, or a
// family's retroStage whose locks are held (held). It returns the claim's
// progress, and pending when that progress is still to be committed on its
// own (a rejected or skipped re-bill); a paid one was committed with it.
func (e *Engine) rebillOne(ctx context.Context, s Store, job *RetroJob, p *RetroProgress, held bool) (done *RetroProgress, pending bool, err error) {
	reader, ok := s.(ClaimReader)
	if !ok {
		return nil, false, errors.New("adjudicator: the store cannot read claims by ID")
	}
	orig, err := reader.Claim(p.ClaimID)
	if err != nil {
		return nil, false, err
	}
	if orig == nil || orig.Claim == nil {
		return nil, false, fmt.Errorf("%w: retro job %s: claim %s is not stored", ErrInternal, job.ID, p.ClaimID)
	}
	next := *p
	next.State = RetroDone
	rt := &retroTurn{original: p.ClaimID, progress: &next, held: held}
	a := &adjudication{engine: e, snap: e.snap.Load(), store: s, submitted: orig.Claim, docs: newDocSet(s),
		resp: &Response{Trace: make([]TraceStep, 0, 16)}, retro: rt}
	if held {
		a.unlockFamilies = func() {}
	}
	resp, err := a.run(ctx, retroBillSteps)
	if err != nil {
		return nil, false, err
	}
	switch {
	case rt.ours:
		return rt.progress, false, nil // an earlier run of the job re-billed it
	case resp.Status == Duplicate:
		next.State, next.Note = RetroSkipped, "a claim was billed under its key after the job reversed it: "+resp.ClaimID
	case resp.Status == Paid:
		return &next, false, nil // committed with the claim
	default:
		next.After = outcomeOf(resp)
	}
	return &next, true, nil
}

// retroTurn is what a retro re-bill carries through its pipeline.
type retroTurn struct {
	original string         // the claim billed again (the job reversed it)
	progress *RetroProgress // nil in a replay
	ours     bool           // the key's paid claim is this job's re-bill already
	held     bool           // the key's and family's locks are held already (retroFamilyAtOnce)
}

// retroBillSteps bill a claim a retro job reversed; replayRetroSteps
// replay such a bill.
var (
	retroBillSteps   = claimSteps((*adjudication).duplicateRetro, (*adjudication).commitRetro)
	replayRetroSteps = claimSteps((*adjudication).duplicateRetro, (*adjudication).commitReplay)
)

// duplicateRetro is step 2 of a retro re-bill: no claim may be paid under
// the key (the job reversed the original); one that is, is either the
// job's own earlier re-bill or a claim billed since, and the re-bill stops.
func (a *adjudication) duplicateRetro(ctx context.Context) error {
	var paid *ClaimRecord
	if a.retro.held {
		recs, err := a.recordsUnderKey(ctx)
		if err != nil {
			return fmt.Errorf("duplicate check: %w", err)
		}
		paid = firstPaid(recs, a.submitted.RxNumber)
	} else {
		var err error
		if paid, err = a.paidUnderKey(ctx); err != nil {
			return err
		}
	}
	if paid != nil {
		a.resp.Status, a.resp.ClaimID = Duplicate, paid.ID
		if a.retro.progress != nil && paid.Transaction == TxRetro && paid.Response != nil && paid.Response.ReversedClaimID == a.retro.original {
			a.retro.ours = true
			a.retro.progress.NewClaimID, a.retro.progress.After = paid.ID, outcomeOf(paid.Response)
		}
		return nil
	}
	a.resp.ReversedClaimID = a.retro.original
	a.trace("", "retroactive re-adjudication of claim %s, which its retro job reversed", a.retro.original)
	return nil
}

// commitRetro pays the re-bill and writes it, with its progress record.
func (a *adjudication) commitRetro(ctx context.Context) error {
	if err := a.pay(); err != nil {
		return err
	}
	id, err := a.newID(ctx)
	if err != nil {
		return err
	}
	a.resp.ClaimID = id
	rec := a.record(TxRetro)
	p := a.retro.progress
	p.NewClaimID, p.After = rec.ID, outcomeOf(a.resp)
	return a.durable(ctx, &Commit{Records: []*ClaimRecord{rec}, Index: rec, History: a.historyEntry(), Docs: a.docs.writes(), Retro: p})
}

// retroReport reads the job's progress and totals it.
func (e *Engine) retroReport(ctx context.Context, rs RetroStore, job *RetroJob) (*RetroReport, error) {
	// The status first, then the progress: a job's status turns DONE only
	// after its last progress record is written, so a DONE status is never
	// shown with the progress of before its end.
	st, err := rs.RetroJobStatus(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	progress, err := rs.RetroProgress(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	rep := &RetroReport{Job: job, Progress: progress, State: RetroJobRunning}
	if st != nil {
		rep.State, rep.Error, rep.Note = st.State, st.Error, st.Note
	}
	members := map[string]bool{}
	for _, p := range progress {
		switch p.State {
		case RetroSkipped:
			rep.Skipped++
			continue
		case RetroDone:
			rep.Done++
		case RetroReversed:
			rep.Reversed++
			continue
		default:
			continue
		}
		rep.PlanPaidBefore, rep.PatientPayBefore = rep.PlanPaidBefore.Add(p.Before.PlanPaid), rep.PatientPayBefore.Add(p.Before.PatientPay)
		rep.PlanPaidAfter, rep.PatientPayAfter = rep.PlanPaidAfter.Add(p.After.PlanPaid), rep.PatientPayAfter.Add(p.After.PatientPay)
		if !p.Before.same(p.After) {
			rep.Changed++
			if p.Index >= 0 && p.Index < len(job.Claims) {
				c := job.Claims[p.Index]
				members[MemberID(c.CardholderID, c.PersonCode)] = true
			}
		}
	}
	rep.MembersAffected = len(members)
	rep.Finished = !job.Pending && rep.Done+rep.Skipped == len(job.Claims)
	return rep, nil
}

// same reports whether two outcomes have the same status, reject codes,
// plan and amounts.
func (o *RetroOutcome) same(p *RetroOutcome) bool {
	if o.Status != p.Status || !slices.Equal(o.Rejects, p.Rejects) || o.PlanID != p.PlanID {
		return false
	}
	x := []decimal.Decimal{o.TotalAllowed, o.PlanPaid, o.PatientPay, o.Deductible, o.Copay, o.Coinsurance}
	y := []decimal.Decimal{p.TotalAllowed, p.PlanPaid, p.PatientPay, p.Deductible, p.Copay, p.Coinsurance}
	for i := range x {
		if !x[i].Equal(y[i]) {
			return false
		}
	}
	return true
}

// selector returns whether a stored claim is a paid claim sel chooses:
// its date of service in the range, its plan, and its family's group and
// client as enrolled now.
func (e *Engine) selector(ctx context.Context, snap *snapshot, sel DryRunSelection) func(*ClaimRecord) bool {
	in := map[string]bool{} // by cardholder ID
	return func(rec *ClaimRecord) bool {
		if !rec.Paid() || rec.Claim == nil || rec.Response == nil {
			return false
		}
		dos, err := domain.ParseDate(rec.Key.DateOfService)
		if err != nil || !sel.From.IsZero() && dos.Before(sel.From) || !sel.To.IsZero() && dos.After(sel.To) ||
			sel.PlanID != "" && rec.Response.PlanID != sel.PlanID {
			return false
		}
		if sel.GroupID == "" && sel.ClientID == "" {
			return true
		}
		ok, seen := in[rec.CardholderID]
		if !seen {
			ok, _ = e.familyIn(ctx, snap, rec.CardholderID, sel)
			in[rec.CardholderID] = ok
		}
		return ok
	}
}
