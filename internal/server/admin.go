package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// UserMetadataKey is the gRPC metadata key naming the acting user of an
// AdminService call (internal/client sends the same key).
const UserMetadataKey = "x-user"

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

// user returns the acting user: the request's field or the x-user
// metadata; when both are given they must agree.
func user(ctx context.Context, field string) (string, error) {
	var fromMD string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(UserMetadataKey); len(v) > 0 {
			fromMD = v[0]
		}
	}
	switch {
	case field != "" && fromMD != "" && field != fromMD:
		return "", status.Errorf(codes.InvalidArgument, "user: the request names %q but the %s metadata names %q", field, UserMetadataKey, fromMD)
	case field != "":
		return field, nil
	}
	return fromMD, nil
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

// mutate decodes the edit and user of a draft request and applies fn.
func (s *adminService) mutate(ctx context.Context, method, editJSON, reqUser string,
	fn func(context.Context, edits.Edit, string) (edits.Edit, error)) (*pb.EditVersion, error) {
	u, err := user(ctx, reqUser)
	if err != nil {
		return nil, err
	}
	e, err := wire.EditFromJSON([]byte(editJSON))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out, err := fn(ctx, e, u)
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

// lifecycle applies an activation or inactivation.
func (s *adminService) lifecycle(ctx context.Context, method, id string, version int32, reqUser string,
	fn func(context.Context, string, int, string) (edits.Edit, error)) (*pb.EditVersion, error) {
	u, err := user(ctx, reqUser)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	if version <= 0 {
		return nil, status.Error(codes.InvalidArgument, "version: must be positive")
	}
	out, err := fn(ctx, id, int(version), u)
	return s.reply(ctx, method, out, err)
}

// CreateDraft implements AdminService.CreateDraft.
func (s *adminService) CreateDraft(ctx context.Context, req *pb.CreateDraftRequest) (*pb.CreateDraftResponse, error) {
	e, err := s.mutate(ctx, "CreateDraft", req.GetEditJson(), req.GetUser(), s.engine.CreateDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreateDraftResponse{Edit: e}, nil
}

// UpdateDraft implements AdminService.UpdateDraft.
func (s *adminService) UpdateDraft(ctx context.Context, req *pb.UpdateDraftRequest) (*pb.UpdateDraftResponse, error) {
	e, err := s.mutate(ctx, "UpdateDraft", req.GetEditJson(), req.GetUser(), s.engine.UpdateDraft)
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
	e, err := s.lifecycle(ctx, "ActivateEdit", req.GetId(), req.GetVersion(), req.GetUser(),
		func(ctx context.Context, id string, version int, user string) (edits.Edit, error) {
			out, err := s.engine.Activate(ctx, id, version, user)
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
	e, err := s.lifecycle(ctx, "InactivateEdit", req.GetId(), req.GetVersion(), req.GetUser(), s.engine.Inactivate)
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
		return nil, status.Errorf(codes.InvalidArgument, "status: %q is not DRAFT, ACTIVE or INACTIVE", req.GetStatus())
	}
	if kind != "" && edits.KindIndex(edits.Kind(kind)) < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "kind: %q is not an edit kind", req.GetKind())
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

// ImportBundle implements AdminService.ImportBundle.
func (s *adminService) ImportBundle(ctx context.Context, req *pb.ImportBundleRequest) (*pb.ImportBundleResponse, error) {
	u, err := user(ctx, req.GetUser())
	if err != nil {
		return nil, err
	}
	if len(req.GetBundle()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "bundle: required")
	}
	cfg, err := config.Parse(req.GetBundle())
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		return nil, s.adminStatus(ctx, "ImportBundle", fmt.Errorf("%w: %w", adjudicator.ErrInvalid, err))
	}
	sum, err := s.engine.Import(ctx, cfg, u)
	if err != nil {
		return nil, s.adminStatus(ctx, "ImportBundle", err)
	}
	return wire.ImportSummaryToProto(sum), nil
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
	return &pb.TestClaimResponse{Result: wire.ResultToProto(r)}, nil
}
