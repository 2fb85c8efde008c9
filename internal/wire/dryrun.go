package wire

import (
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"github.com/shopspring/decimal"
)

// DryRunSelectionFromProto reads a dry run request's selection, comparison
// and drafts: its edit drafts, then its draft versions of any kind. Its
// errors name the field (never its value: it may be member data).
func DryRunSelectionFromProto(p *pb.DryRunRequest) (adjudicator.DryRunSelection, []adjudicator.DraftRef, error) {
	sel := adjudicator.DryRunSelection{PlanID: p.GetPlanId(), GroupID: p.GetGroupId(), ClientID: p.GetClientId(),
		CardholderID: p.GetCardholderId(), PersonCode: p.GetPersonCode()}
	switch p.GetCompare() {
	case pb.DryRunCompare_DRY_RUN_COMPARE_UNSPECIFIED, pb.DryRunCompare_DRY_RUN_COMPARE_BASELINE:
		sel.Compare = adjudicator.CompareBaseline
	case pb.DryRunCompare_DRY_RUN_COMPARE_STORED:
		sel.Compare = adjudicator.CompareStored
	default:
		return sel, nil, fmt.Errorf("%w: compare: want BASELINE or STORED", adjudicator.ErrInvalid)
	}
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
	if n := len(p.GetDrafts()) + len(p.GetDraftVersions()); n > adjudicator.MaxDryRunDrafts {
		return sel, nil, fmt.Errorf("%w: drafts: %d, more than %d", adjudicator.ErrInvalid, n, adjudicator.MaxDryRunDrafts)
	}
	var refs []adjudicator.DraftRef
	for _, d := range p.GetDrafts() {
		refs = append(refs, adjudicator.DraftRef{Kind: adjudicator.DraftEdit, ID: d.GetId(), Version: int(d.GetVersion())})
	}
	for _, d := range p.GetDraftVersions() {
		refs = append(refs, adjudicator.DraftRef{Kind: adjudicator.DraftKind(d.GetKind()), ID: d.GetId(), Version: int(d.GetVersion())})
	}
	return sel, refs, nil
}

// DryRunRequestToProto is the request for a selection and drafts: edit
// drafts in the request's drafts (as before draft versions had kinds), the
// others in its draft versions.
func DryRunRequestToProto(sel adjudicator.DryRunSelection, drafts []adjudicator.DraftRef) *pb.DryRunRequest {
	out := &pb.DryRunRequest{PlanId: sel.PlanID, GroupId: sel.GroupID, ClientId: sel.ClientID,
		CardholderId: sel.CardholderID, PersonCode: sel.PersonCode, Compare: dryRunCompareToProto[sel.Compare]}
	if !sel.From.IsZero() {
		out.From = sel.From.String()
	}
	if !sel.To.IsZero() {
		out.To = sel.To.String()
	}
	for _, d := range drafts {
		if d.Kind == "" || d.Kind == adjudicator.DraftEdit {
			out.Drafts = append(out.Drafts, &pb.EditRef{Id: d.ID, Version: int32(d.Version)})
			continue
		}
		out.DraftVersions = append(out.DraftVersions, &pb.DraftVersion{Kind: string(d.Kind), Id: d.ID, Version: int32(d.Version)})
	}
	return out
}

var dryRunCompareToProto = map[adjudicator.DryRunCompare]pb.DryRunCompare{
	adjudicator.CompareBaseline: pb.DryRunCompare_DRY_RUN_COMPARE_BASELINE,
	adjudicator.CompareStored:   pb.DryRunCompare_DRY_RUN_COMPARE_STORED,
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
		PatientPayBefore: Money(r.PatientBefore), PatientPayAfter: Money(r.PatientAfter), ElapsedMs: r.Elapsed.Milliseconds(),
		Compare: dryRunCompareToProto[r.Compare], BaselineDiffersFromStored: int64(r.BaselineDiffers)}
}

// DryRunTotalsFromProto converts wire totals back.
func DryRunTotalsFromProto(p *pb.DryRunTotals) (*adjudicator.DryRunReport, error) {
	r := &adjudicator.DryRunReport{Claims: int(p.GetClaims()), Context: int(p.GetContext()), Families: int(p.GetFamilies()),
		Changed: int(p.GetChanged()), MembersAffected: int(p.GetMembersAffected()), Elapsed: time.Duration(p.GetElapsedMs()) * time.Millisecond,
		BaselineDiffers: int(p.GetBaselineDiffersFromStored())}
	for c, v := range dryRunCompareToProto {
		if v == p.GetCompare() {
			r.Compare = c
		}
	}
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
