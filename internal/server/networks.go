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

// The network version lifecycle: the plan lifecycle's RPCs for networks.

// networkReply converts the network version an admin method returned, or
// its error.
func (s *adminService) networkReply(ctx context.Context, method string, n config.Network, err error) (*pb.NetworkVersion, error) {
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	out, err := wire.NetworkToProto(n)
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	return out, nil
}

// networkDraft decodes the network of a draft request and applies fn as
// the caller.
func (s *adminService) networkDraft(ctx context.Context, method, networkJSON string,
	fn func(context.Context, config.Network, *adjudicator.AuditEntry) (config.Network, error)) (*pb.NetworkVersion, error) {
	n, err := wire.NetworkFromJSON([]byte(networkJSON))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	audit := pendingAudit(ctx)
	if method == "UpdateNetworkDraft" {
		audit.Objects = append(audit.Objects, adjudicator.NetworkObject(clip(n.ID), n.Version))
	}
	out, err := fn(ctx, n, audit)
	return s.networkReply(ctx, method, out, err)
}

// networkStep applies an activation or inactivation as the caller.
func (s *adminService) networkStep(ctx context.Context, method, id string, version int32,
	fn func(context.Context, string, int, *adjudicator.AuditEntry) (config.Network, error)) (*pb.NetworkVersion, error) {
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	if version <= 0 {
		return nil, status.Error(codes.InvalidArgument, "version: must be positive")
	}
	out, err := fn(ctx, id, int(version), pendingAudit(ctx))
	return s.networkReply(ctx, method, out, err)
}

// CreateNetworkDraft implements AdminService.CreateNetworkDraft.
func (s *adminService) CreateNetworkDraft(ctx context.Context, req *pb.CreateNetworkDraftRequest) (*pb.CreateNetworkDraftResponse, error) {
	n, err := s.networkDraft(ctx, "CreateNetworkDraft", req.GetNetworkJson(), s.engine.CreateNetworkDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreateNetworkDraftResponse{Network: n}, nil
}

// UpdateNetworkDraft implements AdminService.UpdateNetworkDraft.
func (s *adminService) UpdateNetworkDraft(ctx context.Context, req *pb.UpdateNetworkDraftRequest) (*pb.UpdateNetworkDraftResponse, error) {
	n, err := s.networkDraft(ctx, "UpdateNetworkDraft", req.GetNetworkJson(), s.engine.UpdateNetworkDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateNetworkDraftResponse{Network: n}, nil
}

// ActivateNetwork implements AdminService.ActivateNetwork.
func (s *adminService) ActivateNetwork(ctx context.Context, req *pb.ActivateNetworkRequest) (*pb.ActivateNetworkResponse, error) {
	n, err := s.networkStep(ctx, "ActivateNetwork", req.GetId(), req.GetVersion(), s.engine.ActivateNetwork)
	if err != nil {
		return nil, err
	}
	return &pb.ActivateNetworkResponse{Network: n}, nil
}

// InactivateNetwork implements AdminService.InactivateNetwork.
func (s *adminService) InactivateNetwork(ctx context.Context, req *pb.InactivateNetworkRequest) (*pb.InactivateNetworkResponse, error) {
	n, err := s.networkStep(ctx, "InactivateNetwork", req.GetId(), req.GetVersion(), s.engine.InactivateNetwork)
	if err != nil {
		return nil, err
	}
	return &pb.InactivateNetworkResponse{Network: n}, nil
}

// GetNetwork implements AdminService.GetNetwork.
func (s *adminService) GetNetwork(ctx context.Context, req *pb.GetNetworkRequest) (*pb.GetNetworkResponse, error) {
	vs, err := s.engine.NetworkVersions(req.GetId())
	if err != nil {
		return nil, s.adminStatus(ctx, "GetNetwork", err)
	}
	out := make([]*pb.NetworkVersion, 0, len(vs))
	for _, v := range vs {
		n, err := wire.NetworkToProto(v)
		if err != nil {
			return nil, s.adminStatus(ctx, "GetNetwork", err)
		}
		out = append(out, n)
	}
	return &pb.GetNetworkResponse{Versions: out}, nil
}
