package server

import (
	"context"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// The network version lifecycle's RPCs (versions.go has what they share).
var networkKind = versionKind[config.Network, *pb.NetworkVersion]{
	fromJSON: wire.NetworkFromJSON,
	toProto:  wire.NetworkToProto,
	object:   func(v config.Network) string { return adjudicator.NetworkObject(clip(v.ID), v.Version) },
	update:   "UpdateNetworkDraft",
}

// CreateNetworkDraft implements AdminService.CreateNetworkDraft.
func (s *adminService) CreateNetworkDraft(ctx context.Context, req *pb.CreateNetworkDraftRequest) (*pb.CreateNetworkDraftResponse, error) {
	n, err := versionDraft(ctx, s, networkKind, "CreateNetworkDraft", req.GetNetworkJson(), s.engine.CreateNetworkDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreateNetworkDraftResponse{Network: n}, nil
}

// UpdateNetworkDraft implements AdminService.UpdateNetworkDraft.
func (s *adminService) UpdateNetworkDraft(ctx context.Context, req *pb.UpdateNetworkDraftRequest) (*pb.UpdateNetworkDraftResponse, error) {
	n, err := versionDraft(ctx, s, networkKind, "UpdateNetworkDraft", req.GetNetworkJson(), s.engine.UpdateNetworkDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateNetworkDraftResponse{Network: n}, nil
}

// ActivateNetwork implements AdminService.ActivateNetwork.
func (s *adminService) ActivateNetwork(ctx context.Context, req *pb.ActivateNetworkRequest) (*pb.ActivateNetworkResponse, error) {
	n, err := versionStep(ctx, s, networkKind, "ActivateNetwork", req.GetId(), req.GetVersion(), s.engine.ActivateNetwork)
	if err != nil {
		return nil, err
	}
	return &pb.ActivateNetworkResponse{Network: n}, nil
}

// InactivateNetwork implements AdminService.InactivateNetwork.
func (s *adminService) InactivateNetwork(ctx context.Context, req *pb.InactivateNetworkRequest) (*pb.InactivateNetworkResponse, error) {
	n, err := versionStep(ctx, s, networkKind, "InactivateNetwork", req.GetId(), req.GetVersion(), s.engine.InactivateNetwork)
	if err != nil {
		return nil, err
	}
	return &pb.InactivateNetworkResponse{Network: n}, nil
}

// GetNetwork implements AdminService.GetNetwork.
func (s *adminService) GetNetwork(ctx context.Context, req *pb.GetNetworkRequest) (*pb.GetNetworkResponse, error) {
	vs, err := s.engine.NetworkVersions(req.GetId())
	out, err := versionList(ctx, s, networkKind, "GetNetwork", vs, err)
	if err != nil {
		return nil, err
	}
	return &pb.GetNetworkResponse{Versions: out}, nil
}
