package server

import (
	"fmt"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
)

// DryRun implements AdminService.DryRun: each changed claim as it is
// found, then the totals. Its audit entry names the drafts, plan, group
// and client (a family or member it names only as such: member data),
// and what the dry run found.
func (s *adminService) DryRun(req *pb.DryRunRequest, stream grpc.ServerStreamingServer[pb.DryRunResponse]) error {
	ctx := stream.Context()
	audit := pendingAudit(ctx)
	audit.Objects = append(audit.Objects, dryRunObjects(req)...)
	sel, drafts, err := wire.DryRunSelectionFromProto(req)
	if err == nil {
		err = sel.Validate()
	}
	if err != nil {
		return s.adminStatus(ctx, "DryRun", err)
	}
	rep, err := s.engine.DryRun(ctx, sel, drafts, func(c *adjudicator.DryRunChange) error {
		return stream.Send(&pb.DryRunResponse{Item: &pb.DryRunResponse_Change{Change: wire.DryRunChangeToProto(c)}})
	})
	if err != nil {
		return s.adminStatus(ctx, "DryRun", err)
	}
	audit.Detail = fmt.Sprintf("dates of service %s to %s, compared with the %s answers: %d claims re-adjudicated, %d changed, %d members affected",
		sel.From, sel.To, rep.Compare, rep.Claims, rep.Changed, rep.MembersAffected)
	if sel.CardholderID != "" {
		audit.Detail += "; one family"
	}
	return stream.Send(&pb.DryRunResponse{Item: &pb.DryRunResponse_Totals{Totals: wire.DryRunTotalsToProto(rep)}})
}

// dryRunObjects names what a dry run is about in its audit entry: its
// drafts (at most 10), plan, group and client, clipped.
func dryRunObjects(req *pb.DryRunRequest) []string {
	var out []string
	for _, d := range req.GetDrafts()[:min(len(req.GetDrafts()), 10)] {
		out = append(out, adjudicator.EditObject(clip(d.GetId()), int(d.GetVersion())))
	}
	for _, d := range req.GetDraftVersions()[:min(len(req.GetDraftVersions()), max(0, 10-len(req.GetDrafts())))] {
		out = append(out, adjudicator.DraftRef{Kind: adjudicator.DraftKind(clip(d.GetKind())), ID: clip(d.GetId()), Version: int(d.GetVersion())}.String())
	}
	for _, o := range [][2]string{{"plan ", req.GetPlanId()}, {"group ", req.GetGroupId()}, {"client ", req.GetClientId()}} {
		if o[1] != "" {
			out = append(out, o[0]+clip(o[1]))
		}
	}
	return out
}
