package scenario

import (
	"context"
	"fmt"
	"strings"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

// Retroer runs retro jobs (DOMAIN.md section 12). Worksheet commands
// (targets that implement it; others skip the file):
//
//	retro job=J kind=eligibility cardholder=C person=P from=D user=U
//	retro job=J kind=configuration from=D to=D [plan=P] [group=G] [client=C] user=U
//	                       starts (or resumes) the job, runs it and prints its report
//	retro-report job=J     prints a stored job's report
type Retroer interface {
	StartRetro(ctx context.Context, req adjudicator.RetroRequest, user string) (*adjudicator.RetroReport, error)
	RetroReport(ctx context.Context, id string) (*adjudicator.RetroReport, error)
}

func (s *state) retro(ctx context.Context, cmd string, args map[string]string) (string, error) {
	r, ok := s.target.(Retroer)
	if !ok {
		s.t.Skipf("%s: the target has no retro jobs", cmd)
	}
	if cmd == "retro-report" {
		rep, err := r.RetroReport(ctx, args["job"])
		if err != nil {
			return "", err
		}
		return formatRetro(rep), nil
	}
	req := adjudicator.RetroRequest{JobID: args["job"], Kind: adjudicator.RetroKind(strings.ToUpper(args["kind"])),
		CardholderID: args["cardholder"], PersonCode: args["person"], PlanID: args["plan"], GroupID: args["group"],
		ClientID: args["client"], Reason: args["reason"]}
	for k, dst := range map[string]*domain.Date{"from": &req.From, "to": &req.To} {
		if v, ok := args[k]; ok {
			d, err := domain.ParseDate(v)
			if err != nil {
				return "", err
			}
			*dst = d
		}
	}
	rep, err := r.StartRetro(ctx, req, args["user"])
	if err != nil {
		return "", err
	}
	return formatRetro(rep), nil
}

// formatRetro prints a report as an analyst reads it: totals, then each
// claim, before and after.
func formatRetro(rep *adjudicator.RetroReport) string {
	var b strings.Builder
	state := "finished"
	if !rep.Finished {
		state = "NOT finished"
	}
	fmt.Fprintf(&b, "retro job %s %s: %d claims, %d re-adjudicated, %d skipped, %d changed, %d members affected; %s\n",
		rep.Job.ID, rep.Job.Request.Kind, len(rep.Job.Claims), rep.Done, rep.Skipped, rep.Changed, rep.MembersAffected, state)
	fmt.Fprintf(&b, "plan paid %s -> %s; patient pay %s -> %s\n", m(rep.PlanPaidBefore), m(rep.PlanPaidAfter),
		m(rep.PatientPayBefore), m(rep.PatientPayAfter))
	for _, p := range rep.Progress {
		c := rep.Job.Claims[p.Index]
		fmt.Fprintf(&b, "  %s rx %s: %s", c.DateOfService, c.Key.RxNumber, p.State)
		if p.Note != "" {
			fmt.Fprintf(&b, " (%s)", p.Note)
		}
		b.WriteString("\n")
		if p.Before != nil {
			fmt.Fprintf(&b, "    before %s\n", formatOutcome(p.Before))
		}
		if p.After != nil {
			fmt.Fprintf(&b, "    after  %s\n", formatOutcome(p.After))
		}
	}
	return b.String()
}

func formatOutcome(o *adjudicator.RetroOutcome) string {
	if o.Status != adjudicator.Paid {
		codes := make([]string, len(o.Rejects))
		for i, c := range o.Rejects {
			codes[i] = string(c)
		}
		return string(o.Status) + " " + strings.Join(codes, ",")
	}
	return fmt.Sprintf("P %s plan %s patient %s (deductible %s copay %s coinsurance %s)", o.PlanID, m(o.PlanPaid), m(o.PatientPay),
		m(o.Deductible), m(o.Copay), m(o.Coinsurance))
}

// Retroer methods of the engine target.

func (t engineTarget) StartRetro(ctx context.Context, req adjudicator.RetroRequest, user string) (*adjudicator.RetroReport, error) {
	return t.Engine.StartRetro(ctx, req, adjudicator.Actor(user))
}
