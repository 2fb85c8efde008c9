package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/rxclaims/rxclaims/domain"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/authn"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// UserMetadataKey is the gRPC metadata key naming the caller of a
// development-mode call (internal/client sends the same key).
const UserMetadataKey = authn.UserMetadataKey

// adminService adapts the engine's admin methods to the AdminService gRPC
// API. It is the only place admin errors become status codes.
type adminService struct {
	pb.UnimplementedAdminServiceServer
	engine *adjudicator.Engine
	log    *slog.Logger
}

// newAdminService returns the service over engine.
func newAdminService(engine *adjudicator.Engine, log *slog.Logger) *adminService {
	if log == nil {
		log = slog.Default()
	}
	return &adminService{engine: engine, log: log}
}

// adminStatus maps an admin error to a gRPC status; an edit's validation
// problems also travel as a ValidationProblems detail.
func (s *adminService) adminStatus(ctx context.Context, method string, err error) error {
	var ve *edits.ValidationError
	switch {
	case errors.As(err, &ve):
		st := status.New(codes.InvalidArgument, err.Error())
		if d, derr := st.WithDetails(&pb.ValidationProblems{Ref: ve.Ref, Problems: wire.ProblemsToProto(ve.Problems)}); derr == nil {
			st = d
		}
		return st.Err()
	case errors.Is(err, edits.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, edits.ErrConflict):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, edits.ErrMakerChecker):
		return status.Error(codes.PermissionDenied, err.Error())
	}
	return engineStatus(ctx, s.log, method, "the request could not be completed", err)
}

func editsToProto(list []edits.Edit) ([]*pb.EditVersion, error) {
	out := make([]*pb.EditVersion, 0, len(list))
	for _, e := range list {
		p, err := wire.EditToProto(e)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// mutate decodes the edit of a draft request and applies fn as the
// caller, with the call's audit entry.
func (s *adminService) mutate(ctx context.Context, method, editJSON string,
	fn func(context.Context, edits.Edit, *adjudicator.AuditEntry) (edits.Edit, error)) (*pb.EditVersion, error) {
	e, err := wire.EditFromJSON([]byte(editJSON))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	audit := pendingAudit(ctx)
	if method == "UpdateDraft" {
		audit.Objects = append(audit.Objects, adjudicator.EditObject(clip(e.ID), e.Version))
	}
	out, err := fn(ctx, e, audit)
	return s.reply(ctx, method, out, err)
}

// reply converts the edit an admin method returned, or its error.
func (s *adminService) reply(ctx context.Context, method string, e edits.Edit, err error) (*pb.EditVersion, error) {
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	p, err := wire.EditToProto(e)
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	return p, nil
}

// lifecycle applies an activation or inactivation as the caller.
func (s *adminService) lifecycle(ctx context.Context, method, id string, version int32,
	fn func(context.Context, string, int, *adjudicator.AuditEntry) (edits.Edit, error)) (*pb.EditVersion, error) {
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	if version <= 0 {
		return nil, status.Error(codes.InvalidArgument, "version: must be positive")
	}
	out, err := fn(ctx, id, int(version), pendingAudit(ctx))
	return s.reply(ctx, method, out, err)
}

// CreateDraft implements AdminService.CreateDraft.
func (s *adminService) CreateDraft(ctx context.Context, req *pb.CreateDraftRequest) (*pb.CreateDraftResponse, error) {
	e, err := s.mutate(ctx, "CreateDraft", req.GetEditJson(), s.engine.CreateDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreateDraftResponse{Edit: e}, nil
}

// UpdateDraft implements AdminService.UpdateDraft.
func (s *adminService) UpdateDraft(ctx context.Context, req *pb.UpdateDraftRequest) (*pb.UpdateDraftResponse, error) {
	e, err := s.mutate(ctx, "UpdateDraft", req.GetEditJson(), s.engine.UpdateDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateDraftResponse{Edit: e}, nil
}

// ValidateEdit implements AdminService.ValidateEdit: validation problems
// are the answer, not an error; an unreadable edit_json is InvalidArgument.
func (s *adminService) ValidateEdit(ctx context.Context, req *pb.ValidateEditRequest) (*pb.ValidateEditResponse, error) {
	e, err := wire.EditFromJSON([]byte(req.GetEditJson()))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	err = s.engine.ValidateEdit(e)
	var ve *edits.ValidationError
	switch {
	case err == nil:
		return &pb.ValidateEditResponse{Valid: true, Warnings: s.engine.CostShareWarnings(e)}, nil
	case errors.As(err, &ve):
		return &pb.ValidateEditResponse{Problems: wire.ProblemsToProto(ve.Problems)}, nil
	}
	return nil, s.adminStatus(ctx, "ValidateEdit", err)
}

// ActivateEdit implements AdminService.ActivateEdit.
func (s *adminService) ActivateEdit(ctx context.Context, req *pb.ActivateEditRequest) (*pb.ActivateEditResponse, error) {
	var warnings []string
	e, err := s.lifecycle(ctx, "ActivateEdit", req.GetId(), req.GetVersion(),
		func(ctx context.Context, id string, version int, audit *adjudicator.AuditEntry) (edits.Edit, error) {
			out, err := s.engine.Activate(ctx, id, version, audit)
			if err == nil {
				warnings = s.engine.CostShareWarnings(out)
			}
			return out, err
		})
	if err != nil {
		return nil, err
	}
	return &pb.ActivateEditResponse{Edit: e, Warnings: warnings}, nil
}

// InactivateEdit implements AdminService.InactivateEdit.
func (s *adminService) InactivateEdit(ctx context.Context, req *pb.InactivateEditRequest) (*pb.InactivateEditResponse, error) {
	e, err := s.lifecycle(ctx, "InactivateEdit", req.GetId(), req.GetVersion(), s.engine.Inactivate)
	if err != nil {
		return nil, err
	}
	return &pb.InactivateEditResponse{Edit: e}, nil
}

// ListEdits implements AdminService.ListEdits.
func (s *adminService) ListEdits(ctx context.Context, req *pb.ListEditsRequest) (*pb.ListEditsResponse, error) {
	st, kind, level := strings.ToUpper(req.GetStatus()), strings.ToUpper(req.GetKind()), req.GetLevel()
	switch edits.Status(st) {
	case "", edits.Draft, edits.Active, edits.Inactive:
	default:
		return nil, status.Errorf(codes.InvalidArgument, "status: %s is not DRAFT, ACTIVE or INACTIVE", domain.Quote(req.GetStatus()))
	}
	if kind != "" && edits.KindIndex(edits.Kind(kind)) < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "kind: %s is not an edit kind", domain.Quote(req.GetKind()))
	}
	var keep []edits.Edit
	for _, e := range s.engine.Edits() {
		if (st == "" || string(e.Status) == st) && (kind == "" || string(e.Kind) == kind) &&
			(level == "" || strings.EqualFold(string(e.Level.Kind), level) || e.Level.String() == level) {
			keep = append(keep, e)
		}
	}
	out, err := editsToProto(keep)
	if err != nil {
		return nil, s.adminStatus(ctx, "ListEdits", err)
	}
	return &pb.ListEditsResponse{Edits: out}, nil
}

// GetEdit implements AdminService.GetEdit.
func (s *adminService) GetEdit(ctx context.Context, req *pb.GetEditRequest) (*pb.GetEditResponse, error) {
	if req.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	vs, err := s.engine.EditVersions(req.GetId())
	if err != nil {
		return nil, s.adminStatus(ctx, "GetEdit", err)
	}
	out, err := editsToProto(vs)
	if err != nil {
		return nil, s.adminStatus(ctx, "GetEdit", err)
	}
	return &pb.GetEditResponse{Versions: out}, nil
}

// ExportBundle implements AdminService.ExportBundle.
func (s *adminService) ExportBundle(ctx context.Context, _ *pb.ExportBundleRequest) (*pb.ExportBundleResponse, error) {
	b, err := config.Marshal(s.engine.Configuration())
	if err != nil {
		return nil, s.adminStatus(ctx, "ExportBundle", err)
	}
	return &pb.ExportBundleResponse{Bundle: b}, nil
}

// ReplayClaim implements AdminService.ReplayClaim.
func (s *adminService) ReplayClaim(ctx context.Context, req *pb.ReplayClaimRequest) (*pb.ReplayClaimResponse, error) {
	r, err := s.engine.ReplayClaim(ctx, req.GetClaimId())
	if err != nil {
		return nil, s.adminStatus(ctx, "ReplayClaim", err)
	}
	return &pb.ReplayClaimResponse{Replay: wire.ReplayToProto(r)}, nil
}

// ReplayStore implements AdminService.ReplayStore.
func (s *adminService) ReplayStore(ctx context.Context, req *pb.ReplayStoreRequest) (*pb.ReplayStoreResponse, error) {
	limit := int(req.GetMaxReported())
	if limit <= 0 {
		limit = 100
	}
	out := &pb.ReplayStoreResponse{}
	sum, err := s.engine.ReplayAll(ctx, func(r *adjudicator.Replay) error {
		if (r.Skipped != "" || len(r.Differences) > 0) && len(out.Reported) < limit {
			out.Reported = append(out.Reported, wire.ReplayToProto(r))
		}
		return nil
	})
	if err != nil {
		return nil, s.adminStatus(ctx, "ReplayStore", err)
	}
	out.Claims, out.Same, out.Different, out.Skipped = int64(sum.Claims), int64(sum.Same), int64(sum.Different), int64(sum.Skipped)
	return out, nil
}

// TestClaim implements AdminService.TestClaim.
func (s *adminService) TestClaim(ctx context.Context, req *pb.TestClaimRequest) (*pb.TestClaimResponse, error) {
	refs := make([]adjudicator.EditRef, len(req.GetDrafts()))
	for i, d := range req.GetDrafts() {
		refs[i] = adjudicator.EditRef{ID: d.GetId(), Version: int(d.GetVersion())}
	}
	r, err := s.engine.TestClaim(ctx, wire.ClaimFromProto(req.GetClaim()), refs)
	if err != nil {
		return nil, s.adminStatus(ctx, "TestClaim", err)
	}
	return &pb.TestClaimResponse{Result: wire.ResultToProto(r, true)}, nil
}
