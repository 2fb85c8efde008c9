package wire

import (
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
)

// RetroReportToProto converts a retro job's report to the wire. It names
// claims by ID, date and Rx number, never their members.
func RetroReportToProto(r *adjudicator.RetroReport) *pb.RetroReport {
	j, q := r.Job, r.Job.Request
	out := &pb.RetroReport{JobId: j.ID, Kind: string(q.Kind), From: dateString(q.From), To: dateString(q.To),
		PlanId: q.PlanID, GroupId: q.GroupID, ClientId: q.ClientID, Reason: q.Reason, Created: j.Created.Format(time.RFC3339),
		Claims: int32(len(j.Claims)), Done: int32(r.Done), Skipped: int32(r.Skipped), Changed: int32(r.Changed),
		MembersAffected: int32(r.MembersAffected), Finished: r.Finished, State: string(r.State), Error: r.Error, Note: r.Note,
		PlanPaidBefore: r.PlanPaidBefore.StringFixed(2), PlanPaidAfter: r.PlanPaidAfter.StringFixed(2),
		PatientPayBefore: r.PatientPayBefore.StringFixed(2), PatientPayAfter: r.PatientPayAfter.StringFixed(2)}
	for _, p := range r.Progress {
		line := &pb.RetroClaimReport{ClaimId: p.ClaimID, State: string(p.State), ReversalId: p.ReversalID,
			NewClaimId: p.NewClaimID, Note: p.Note, Index: int32(p.Index), Before: outcomeToProto(p.Before), After: outcomeToProto(p.After)}
		if p.Index >= 0 && p.Index < len(j.Claims) {
			line.DateOfService, line.RxNumber = j.Claims[p.Index].DateOfService, j.Claims[p.Index].Key.RxNumber
		}
		out.Lines = append(out.Lines, line)
	}
	return out
}

func dateString(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func outcomeToProto(o *adjudicator.RetroOutcome) *pb.RetroOutcome {
	if o == nil {
		return nil
	}
	out := &pb.RetroOutcome{Status: string(o.Status), PlanId: o.PlanID, TotalAllowed: o.TotalAllowed.StringFixed(2),
		PlanPaid: o.PlanPaid.StringFixed(2), PatientPay: o.PatientPay.StringFixed(2), Deductible: o.Deductible.StringFixed(2),
		Copay: o.Copay.StringFixed(2), Coinsurance: o.Coinsurance.StringFixed(2)}
	for _, c := range o.Rejects {
		out.RejectCodes = append(out.RejectCodes, string(c))
	}
	return out
}

// RetroReportFromProto converts a wire report back. The job's claims
// carry what the wire does: date of service and Rx number, for the claims
// the job reached.
func RetroReportFromProto(p *pb.RetroReport) (*adjudicator.RetroReport, error) {
	req := adjudicator.RetroRequest{JobID: p.GetJobId(), Kind: adjudicator.RetroKind(p.GetKind()), PlanID: p.GetPlanId(),
		GroupID: p.GetGroupId(), ClientID: p.GetClientId(), Reason: p.GetReason()}
	var errs []error
	req.From, errs = parseOptionalDate(p.GetFrom(), errs)
	req.To, errs = parseOptionalDate(p.GetTo(), errs)
	created, err := time.Parse(time.RFC3339, p.GetCreated())
	if err != nil {
		errs = append(errs, err)
	}
	out := &adjudicator.RetroReport{Job: &adjudicator.RetroJob{ID: p.GetJobId(), Request: req, Created: created,
		Claims: make([]adjudicator.RetroClaim, p.GetClaims())},
		Done: int(p.GetDone()), Skipped: int(p.GetSkipped()), Changed: int(p.GetChanged()), MembersAffected: int(p.GetMembersAffected()),
		Finished: p.GetFinished(), State: adjudicator.RetroJobState(p.GetState()), Error: p.GetError(), Note: p.GetNote()}
	out.PlanPaidBefore, errs = parseMoney(p.GetPlanPaidBefore(), errs)
	out.PlanPaidAfter, errs = parseMoney(p.GetPlanPaidAfter(), errs)
	out.PatientPayBefore, errs = parseMoney(p.GetPatientPayBefore(), errs)
	out.PatientPayAfter, errs = parseMoney(p.GetPatientPayAfter(), errs)
	for _, l := range p.GetLines() {
		i := int(l.GetIndex())
		if i < 0 || i >= len(out.Job.Claims) {
			return nil, fmt.Errorf("retro report line index %d is outside the job's %d claims", i, len(out.Job.Claims))
		}
		out.Job.Claims[i] = adjudicator.RetroClaim{ClaimID: l.GetClaimId(), DateOfService: l.GetDateOfService(),
			Key: adjudicator.ClaimKey{RxNumber: l.GetRxNumber(), DateOfService: l.GetDateOfService()}}
		prog := adjudicator.RetroProgress{JobID: p.GetJobId(), Index: i, ClaimID: l.GetClaimId(), State: adjudicator.RetroState(l.GetState()),
			ReversalID: l.GetReversalId(), NewClaimID: l.GetNewClaimId(), Note: l.GetNote()}
		prog.Before, errs = outcomeFromProto(l.GetBefore(), errs)
		prog.After, errs = outcomeFromProto(l.GetAfter(), errs)
		out.Progress = append(out.Progress, prog)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("retro report: %v", errs)
	}
	return out, nil
}

func parseOptionalDate(s string, errs []error) (domain.Date, []error) {
	if s == "" {
		return domain.Date{}, errs
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		errs = append(errs, err)
	}
	return d, errs
}

func parseMoney(s string, errs []error) (decimal.Decimal, []error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		errs = append(errs, fmt.Errorf("amount %q: %w", s, err))
	}
	return d, errs
}

func outcomeFromProto(p *pb.RetroOutcome, errs []error) (*adjudicator.RetroOutcome, []error) {
	if p == nil {
		return nil, errs
	}
	o := &adjudicator.RetroOutcome{Status: adjudicator.Status(p.GetStatus()), PlanID: p.GetPlanId()}
	for _, c := range p.GetRejectCodes() {
		o.Rejects = append(o.Rejects, ncpdp.RejectCode(c))
	}
	for _, f := range []struct {
		dst *decimal.Decimal
		v   string
	}{{&o.TotalAllowed, p.GetTotalAllowed()}, {&o.PlanPaid, p.GetPlanPaid()}, {&o.PatientPay, p.GetPatientPay()},
		{&o.Deductible, p.GetDeductible()}, {&o.Copay, p.GetCopay()}, {&o.Coinsurance, p.GetCoinsurance()}} {
		*f.dst, errs = parseMoney(f.v, errs)
	}
	return o, errs
}
