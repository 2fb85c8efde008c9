package adminctl

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// The "retro" commands: retroactive re-adjudication through RetroService.
// An analyst runs one for a configuration change effective in the past
// (role config-approver); the loader runs them for back-dated enrollment.

type retroRunCmd struct {
	Job    string `arg:"" name:"JOB" help:"The job's ID (1 to 64 letters, digits or ._:-): running the same ID again reports it, and retries it if it FAILED."`
	From   string `required:"" help:"First date of service (YYYY-MM-DD)."`
	To     string `required:"" help:"Last date of service (YYYY-MM-DD; at most 366 days after --from, not after today)."`
	Plan   string `help:"Re-adjudicate the claims this plan paid."`
	Group  string `help:"Re-adjudicate the claims of this group's families."`
	Client string `help:"Re-adjudicate the claims of this client's groups."`
	Reason string `help:"Why, for the report (never member data)."`
	Wait   bool   `default:"true" negatable:"" help:"Wait until the job is DONE or FAILED (polling its report); --no-wait prints it RUNNING at once, the server runs it in the background."`
}

// Run starts the configuration retro job (the server runs it in the
// background), by default waits for its end, and prints its report.
func (c *retroRunCmd) Run(s *session) error {
	from, err1 := domain.ParseDate(c.From)
	to, err2 := domain.ParseDate(c.To)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("--from and --to must be dates: %w", err)
	}
	rep, err := s.retro.Start(s.ctx, adjudicator.RetroRequest{JobID: c.Job, Kind: adjudicator.RetroConfiguration, From: from, To: to,
		PlanID: c.Plan, GroupID: c.Group, ClientID: c.Client, Reason: c.Reason})
	if err == nil && c.Wait && rep.State == adjudicator.RetroJobRunning {
		rep, err = s.retro.Wait(s.ctx, c.Job)
	}
	if err != nil {
		return err
	}
	if err := s.printRetro(rep); err != nil {
		return err
	}
	if rep.State == adjudicator.RetroJobFailed {
		return fmt.Errorf("retro job %s FAILED: %s (run it again to retry)", rep.Job.ID, rep.Error)
	}
	return nil
}

type retroReportCmd struct {
	Job string `arg:"" name:"JOB" help:"The job's ID."`
}

// Run prints a stored job's report.
func (c *retroReportCmd) Run(s *session) error {
	rep, err := s.retro.Report(s.ctx, c.Job)
	if err != nil {
		return err
	}
	return s.printRetro(rep)
}

type retroCancelCmd struct {
	Job string `arg:"" name:"JOB" help:"The job's ID."`
}

// Run cancels the job and prints its report; a job that had ended (DONE
// or FAILED) is left as it was, which it says, failing, rather than
// printing a report that could be read as a cancel.
func (c *retroCancelCmd) Run(s *session) error {
	rep, err := s.retro.Cancel(s.ctx, c.Job)
	if err != nil {
		return err
	}
	if rep.State != adjudicator.RetroJobCancelled {
		return fmt.Errorf("nothing to cancel: retro job %s had ended %s (adjctl retro report %s shows it)", rep.Job.ID, rep.State, rep.Job.ID)
	}
	return s.printRetro(rep)
}

// printRetro prints a job's totals and a table of its claims, before and
// after (or the report as JSON).
func (s *session) printRetro(rep *adjudicator.RetroReport) error {
	if s.json {
		return s.printProto(&pb.GetRetroReportResponse{Report: wire.RetroReportToProto(rep)})
	}
	state := string(rep.State)
	switch {
	case rep.State == adjudicator.RetroJobRunning && len(rep.Job.Claims) == 0:
		state += ": its claims are not chosen yet (they are when it runs; jobs run one at a time, in the order started)"
	case rep.State == adjudicator.RetroJobRunning:
		state += fmt.Sprintf(": %d of %d claims reached so far; the server runs it in the background", len(rep.Progress), len(rep.Job.Claims))
	case rep.State == adjudicator.RetroJobFailed:
		state += ": " + rep.Error + "; run it again to retry"
	case rep.State == adjudicator.RetroJobCancelled:
		state += ": " + rep.Note
	case !rep.Finished:
		state = "NOT finished: run it again to resume"
	}
	q := rep.Job.Request
	fmt.Fprintf(s.out, "retro job %s (%s, dates of service %s to %s): %s\n", rep.Job.ID, q.Kind, q.From, q.To, state)
	fmt.Fprintf(s.out, "%d claims: %d re-adjudicated, %d skipped, %d changed, %d members affected\n",
		len(rep.Job.Claims), rep.Done, rep.Skipped, rep.Changed, rep.MembersAffected)
	fmt.Fprintf(s.out, "plan paid %s -> %s; patient pay %s -> %s\n", rep.PlanPaidBefore.StringFixed(2), rep.PlanPaidAfter.StringFixed(2),
		rep.PatientPayBefore.StringFixed(2), rep.PatientPayAfter.StringFixed(2))
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CLAIM\tDATE\tRX\tSTATE\tBEFORE\tAFTER\tNEW CLAIM")
	for _, p := range rep.Progress {
		c := rep.Job.Claims[p.Index]
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ClaimID, c.DateOfService, c.Key.RxNumber, p.State,
			outcomeCell(p.Before), outcomeCell(p.After), p.NewClaimID)
	}
	return w.Flush()
}

// outcomeCell is an answer in one cell: "P PPO plan 12.00 patient 3.00" or "R 65".
func outcomeCell(o *adjudicator.RetroOutcome) string {
	switch {
	case o == nil:
		return "-"
	case o.Status != adjudicator.Paid:
		s := string(o.Status)
		for _, c := range o.Rejects {
			s += " " + string(c)
		}
		return s
	}
	return fmt.Sprintf("P %s plan %s patient %s", o.PlanID, o.PlanPaid.StringFixed(2), o.PatientPay.StringFixed(2))
}
