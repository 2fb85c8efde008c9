package wire

import (
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
)

// DryRunSelectionFromProto reads a dry run request's selection and drafts.
// Its errors name the field (never its value: it may be member data).
func DryRunSelectionFromProto(p *pb.DryRunRequest) (adjudicator.DryRunSelection, []adjudicator.EditRef, error) {
	sel := adjudicator.DryRunSelection{PlanID: p.GetPlanId(), GroupID: p.GetGroupId(), ClientID: p.GetClientId(),
		CardholderID: p.GetCardholderId(), PersonCode: p.GetPersonCode()}
	for name, f := range map[string]struct {
		src string
		dst *domain.Date
	}{"from": {p.GetFrom(), &sel.From}, "to": {p.GetTo(), &sel.To}} {
		if f.src == "" {
			continue
		}
		d, err := domain.ParseDate(f.src)
		if err != nil {
			return sel, nil, fmt.Errorf("%w: %s: not a YYYY-MM-DD date", adjudicator.ErrInvalid, name)
		}
		*f.dst = d
	}
	if len(p.GetDrafts()) > adjudicator.MaxDryRunDrafts {
		return sel, nil, fmt.Errorf("%w: drafts: %d, more than %d", adjudicator.ErrInvalid, len(p.GetDrafts()), adjudicator.MaxDryRunDrafts)
	}
	refs := make([]adjudicator.EditRef, len(p.GetDrafts()))
	for i, d := range p.GetDrafts() {
		refs[i] = adjudicator.EditRef{ID: d.GetId(), Version: int(d.GetVersion())}
	}
	return sel, refs, nil
}

// DryRunRequestToProto is the request for a selection and drafts.
func DryRunRequestToProto(sel adjudicator.DryRunSelection, drafts []adjudicator.EditRef) *pb.DryRunRequest {
	out := &pb.DryRunRequest{PlanId: sel.PlanID, GroupId: sel.GroupID, ClientId: sel.ClientID,
		CardholderId: sel.CardholderID, PersonCode: sel.PersonCode}
	if !sel.From.IsZero() {
		out.From = sel.From.String()
	}
	if !sel.To.IsZero() {
		out.To = sel.To.String()
	}
	for _, d := range drafts {
		out.Drafts = append(out.Drafts, &pb.EditRef{Id: d.ID, Version: int32(d.Version)})
	}
	return out
}

// DryRunChangeToProto converts a changed claim to the wire.
func DryRunChangeToProto(c *adjudicator.DryRunChange) *pb.DryRunChange {
	return &pb.DryRunChange{ClaimId: c.ClaimID, DateOfService: c.DateOfService, RxNumber: c.RxNumber, PlanId: c.PlanID,
		Before: ResultToProto(c.Before, false), After: ResultToProto(c.After, false)}
}

// DryRunChangeFromProto converts a wire changed claim back.
func DryRunChangeFromProto(p *pb.DryRunChange) (*adjudicator.DryRunChange, error) {
	before, err := ResultFromProto(p.GetBefore())
	if err != nil {
		return nil, err
	}
	after, err := ResultFromProto(p.GetAfter())
	if err != nil {
		return nil, err
	}
	return &adjudicator.DryRunChange{ClaimID: p.GetClaimId(), DateOfService: p.GetDateOfService(), RxNumber: p.GetRxNumber(),
		PlanID: p.GetPlanId(), Before: before, After: after}, nil
}

// DryRunTotalsToProto converts a dry run's totals to the wire.
func DryRunTotalsToProto(r *adjudicator.DryRunReport) *pb.DryRunTotals {
	return &pb.DryRunTotals{Claims: int64(r.Claims), Context: int64(r.Context), Families: int64(r.Families),
		Changed: int64(r.Changed), MembersAffected: int64(r.MembersAffected),
		PlanPaidBefore: Money(r.PlanPaidBefore), PlanPaidAfter: Money(r.PlanPaidAfter),
		PatientPayBefore: Money(r.PatientBefore), PatientPayAfter: Money(r.PatientAfter), ElapsedMs: r.Elapsed.Milliseconds()}
}

// DryRunTotalsFromProto converts wire totals back.
func DryRunTotalsFromProto(p *pb.DryRunTotals) (*adjudicator.DryRunReport, error) {
	r := &adjudicator.DryRunReport{Claims: int(p.GetClaims()), Context: int(p.GetContext()), Families: int(p.GetFamilies()),
		Changed: int(p.GetChanged()), MembersAffected: int(p.GetMembersAffected()), Elapsed: time.Duration(p.GetElapsedMs()) * time.Millisecond}
	for _, f := range []struct {
		dst  *decimal.Decimal
		src  string
		name string
	}{{&r.PlanPaidBefore, p.GetPlanPaidBefore(), "plan_paid_before"}, {&r.PlanPaidAfter, p.GetPlanPaidAfter(), "plan_paid_after"},
		{&r.PatientBefore, p.GetPatientPayBefore(), "patient_pay_before"}, {&r.PatientAfter, p.GetPatientPayAfter(), "patient_pay_after"}} {
		v, err := decimal.NewFromString(f.src)
		if err != nil {
			return nil, fmt.Errorf("dry run totals: %s: %w", f.name, err)
		}
		*f.dst = v
	}
	return r, nil
}
