package server

import (
	"context"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The plan version lifecycle: the edit lifecycle's RPCs for plans.

// planReply converts the plan version an admin method returned, or its error.
func (s *adminService) planReply(ctx context.Context, method string, p config.Plan, err error) (*pb.PlanVersion, error) {
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	out, err := wire.PlanToProto(p)
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	return out, nil
}

// planDraft decodes the plan of a draft request and applies fn as the caller.
func (s *adminService) planDraft(ctx context.Context, method, planJSON string,
	fn func(context.Context, config.Plan, *adjudicator.AuditEntry) (config.Plan, error)) (*pb.PlanVersion, error) {
	p, err := wire.PlanFromJSON([]byte(planJSON))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	audit := pendingAudit(ctx)
	if method == "UpdatePlanDraft" {
		audit.Objects = append(audit.Objects, adjudicator.PlanObject(clip(p.ID), p.Version))
	}
	out, err := fn(ctx, p, audit)
	return s.planReply(ctx, method, out, err)
}

// planStep applies an activation or inactivation as the caller.
func (s *adminService) planStep(ctx context.Context, method, id string, version int32,
	fn func(context.Context, string, int, *adjudicator.AuditEntry) (config.Plan, error)) (*pb.PlanVersion, error) {
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	if version <= 0 {
		return nil, status.Error(codes.InvalidArgument, "version: must be positive")
	}
	out, err := fn(ctx, id, int(version), pendingAudit(ctx))
	return s.planReply(ctx, method, out, err)
}

// CreatePlanDraft implements AdminService.CreatePlanDraft.
func (s *adminService) CreatePlanDraft(ctx context.Context, req *pb.CreatePlanDraftRequest) (*pb.CreatePlanDraftResponse, error) {
	p, err := s.planDraft(ctx, "CreatePlanDraft", req.GetPlanJson(), s.engine.CreatePlanDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreatePlanDraftResponse{Plan: p}, nil
}

// UpdatePlanDraft implements AdminService.UpdatePlanDraft.
func (s *adminService) UpdatePlanDraft(ctx context.Context, req *pb.UpdatePlanDraftRequest) (*pb.UpdatePlanDraftResponse, error) {
	p, err := s.planDraft(ctx, "UpdatePlanDraft", req.GetPlanJson(), s.engine.UpdatePlanDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdatePlanDraftResponse{Plan: p}, nil
}

// ActivatePlan implements AdminService.ActivatePlan.
func (s *adminService) ActivatePlan(ctx context.Context, req *pb.ActivatePlanRequest) (*pb.ActivatePlanResponse, error) {
	p, err := s.planStep(ctx, "ActivatePlan", req.GetId(), req.GetVersion(), s.engine.ActivatePlan)
	if err != nil {
		return nil, err
	}
	return &pb.ActivatePlanResponse{Plan: p}, nil
}

// InactivatePlan implements AdminService.InactivatePlan.
func (s *adminService) InactivatePlan(ctx context.Context, req *pb.InactivatePlanRequest) (*pb.InactivatePlanResponse, error) {
	p, err := s.planStep(ctx, "InactivatePlan", req.GetId(), req.GetVersion(), s.engine.InactivatePlan)
	if err != nil {
		return nil, err
	}
	return &pb.InactivatePlanResponse{Plan: p}, nil
}

// GetPlan implements AdminService.GetPlan.
func (s *adminService) GetPlan(ctx context.Context, req *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	vs, err := s.engine.PlanVersions(req.GetId())
	if err != nil {
		return nil, s.adminStatus(ctx, "GetPlan", err)
	}
	out := make([]*pb.PlanVersion, 0, len(vs))
	for _, v := range vs {
		p, err := wire.PlanToProto(v)
		if err != nil {
			return nil, s.adminStatus(ctx, "GetPlan", err)
		}
		out = append(out, p)
	}
	return &pb.GetPlanResponse{Versions: out}, nil
}
