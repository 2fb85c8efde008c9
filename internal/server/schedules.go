package server

import (
	"context"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// The schedule version lifecycle's RPCs (versions.go has what they share).
var scheduleKind = versionKind[config.Schedule, *pb.ScheduleVersion]{
	fromJSON: wire.ScheduleFromJSON,
	toProto:  wire.ScheduleToProto,
	object:   func(v config.Schedule) string { return adjudicator.ScheduleObject(clip(v.ID), v.Version) },
	update:   "UpdateScheduleDraft",
}

// CreateScheduleDraft implements AdminService.CreateScheduleDraft.
func (s *adminService) CreateScheduleDraft(ctx context.Context, req *pb.CreateScheduleDraftRequest) (*pb.CreateScheduleDraftResponse, error) {
	n, err := versionDraft(ctx, s, scheduleKind, "CreateScheduleDraft", req.GetScheduleJson(), s.engine.CreateScheduleDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreateScheduleDraftResponse{Schedule: n}, nil
}

// UpdateScheduleDraft implements AdminService.UpdateScheduleDraft.
func (s *adminService) UpdateScheduleDraft(ctx context.Context, req *pb.UpdateScheduleDraftRequest) (*pb.UpdateScheduleDraftResponse, error) {
	n, err := versionDraft(ctx, s, scheduleKind, "UpdateScheduleDraft", req.GetScheduleJson(), s.engine.UpdateScheduleDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateScheduleDraftResponse{Schedule: n}, nil
}

// ActivateSchedule implements AdminService.ActivateSchedule.
func (s *adminService) ActivateSchedule(ctx context.Context, req *pb.ActivateScheduleRequest) (*pb.ActivateScheduleResponse, error) {
	n, err := versionStep(ctx, s, scheduleKind, "ActivateSchedule", req.GetId(), req.GetVersion(), s.engine.ActivateSchedule)
	if err != nil {
		return nil, err
	}
	return &pb.ActivateScheduleResponse{Schedule: n}, nil
}

// InactivateSchedule implements AdminService.InactivateSchedule.
func (s *adminService) InactivateSchedule(ctx context.Context, req *pb.InactivateScheduleRequest) (*pb.InactivateScheduleResponse, error) {
	n, err := versionStep(ctx, s, scheduleKind, "InactivateSchedule", req.GetId(), req.GetVersion(), s.engine.InactivateSchedule)
	if err != nil {
		return nil, err
	}
	return &pb.InactivateScheduleResponse{Schedule: n}, nil
}

// GetSchedule implements AdminService.GetSchedule.
func (s *adminService) GetSchedule(ctx context.Context, req *pb.GetScheduleRequest) (*pb.GetScheduleResponse, error) {
	vs, err := s.engine.ScheduleVersions(req.GetId())
	out, err := versionList(ctx, s, scheduleKind, "GetSchedule", vs, err)
	if err != nil {
		return nil, err
	}
	return &pb.GetScheduleResponse{Versions: out}, nil
}
