package server

import (
	"context"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// The plan version lifecycle's RPCs (versions.go has what they share).
var planKind = versionKind[config.Plan, *pb.PlanVersion]{
	fromJSON: wire.PlanFromJSON,
	toProto:  wire.PlanToProto,
	object:   func(v config.Plan) string { return adjudicator.PlanObject(clip(v.ID), v.Version) },
	update:   "UpdatePlanDraft",
}

// CreatePlanDraft implements AdminService.CreatePlanDraft.
func (s *adminService) CreatePlanDraft(ctx context.Context, req *pb.CreatePlanDraftRequest) (*pb.CreatePlanDraftResponse, error) {
	p, err := versionDraft(ctx, s, planKind, "CreatePlanDraft", req.GetPlanJson(), s.engine.CreatePlanDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreatePlanDraftResponse{Plan: p}, nil
}

// UpdatePlanDraft implements AdminService.UpdatePlanDraft.
func (s *adminService) UpdatePlanDraft(ctx context.Context, req *pb.UpdatePlanDraftRequest) (*pb.UpdatePlanDraftResponse, error) {
	p, err := versionDraft(ctx, s, planKind, "UpdatePlanDraft", req.GetPlanJson(), s.engine.UpdatePlanDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdatePlanDraftResponse{Plan: p}, nil
}

// ActivatePlan implements AdminService.ActivatePlan.
func (s *adminService) ActivatePlan(ctx context.Context, req *pb.ActivatePlanRequest) (*pb.ActivatePlanResponse, error) {
	p, err := versionStep(ctx, s, planKind, "ActivatePlan", req.GetId(), req.GetVersion(), s.engine.ActivatePlan)
	if err != nil {
		return nil, err
	}
	return &pb.ActivatePlanResponse{Plan: p}, nil
}

// InactivatePlan implements AdminService.InactivatePlan.
func (s *adminService) InactivatePlan(ctx context.Context, req *pb.InactivatePlanRequest) (*pb.InactivatePlanResponse, error) {
	p, err := versionStep(ctx, s, planKind, "InactivatePlan", req.GetId(), req.GetVersion(), s.engine.InactivatePlan)
	if err != nil {
		return nil, err
	}
	return &pb.InactivatePlanResponse{Plan: p}, nil
}

// GetPlan implements AdminService.GetPlan.
func (s *adminService) GetPlan(ctx context.Context, req *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	vs, err := s.engine.PlanVersions(req.GetId())
	out, err := versionList(ctx, s, planKind, "GetPlan", vs, err)
	if err != nil {
		return nil, err
	}
	return &pb.GetPlanResponse{Versions: out}, nil
}
