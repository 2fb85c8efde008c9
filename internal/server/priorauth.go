package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// priorAuthService adapts the engine's prior authorization operations to
// the PriorAuthService gRPC API (admin listener).
type priorAuthService struct {
	pb.UnimplementedPriorAuthServiceServer
	engine *adjudicator.Engine
	log    *slog.Logger
}

func newPriorAuthService(engine *adjudicator.Engine, log *slog.Logger) *priorAuthService {
	if log == nil {
		log = slog.Default()
	}
	return &priorAuthService{engine: engine, log: log}
}

func (s *priorAuthService) status(ctx context.Context, method string, err error) error {
	if errors.Is(err, adjudicator.ErrNoPriorAuthStore) {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	return engineStatus(ctx, s.log, method, "the prior authorization request could not be completed", err)
}

func priorAuthFromProto(p *pb.PriorAuth) (domain.PriorAuth, error) {
	if p == nil {
		return domain.PriorAuth{}, status.Error(codes.InvalidArgument, "prior_auth is required")
	}
	pa, err := enrollwire.PriorAuthFromProto(p)
	if err != nil {
		return pa, status.Error(codes.InvalidArgument, err.Error())
	}
	return pa, nil
}

// CreatePriorAuth implements PriorAuthService.CreatePriorAuth.
func (s *priorAuthService) CreatePriorAuth(ctx context.Context, req *pb.CreatePriorAuthRequest) (*pb.CreatePriorAuthResponse, error) {
	pa, err := priorAuthFromProto(req.GetPriorAuth())
	if err != nil {
		return nil, err
	}
	out, err := s.engine.CreatePriorAuth(ctx, pa, pendingAudit(ctx))
	if err != nil {
		return nil, s.status(ctx, "CreatePriorAuth", err)
	}
	return &pb.CreatePriorAuthResponse{PriorAuth: enrollwire.PriorAuthToProto(&out)}, nil
}

// ChangePriorAuth implements PriorAuthService.ChangePriorAuth.
func (s *priorAuthService) ChangePriorAuth(ctx context.Context, req *pb.ChangePriorAuthRequest) (*pb.ChangePriorAuthResponse, error) {
	pa, err := priorAuthFromProto(req.GetPriorAuth())
	if err != nil {
		return nil, err
	}
	out, err := s.engine.ChangePriorAuth(ctx, pa, pendingAudit(ctx))
	if err != nil {
		return nil, s.status(ctx, "ChangePriorAuth", err)
	}
	return &pb.ChangePriorAuthResponse{PriorAuth: enrollwire.PriorAuthToProto(&out)}, nil
}

// EndPriorAuth implements PriorAuthService.EndPriorAuth.
func (s *priorAuthService) EndPriorAuth(ctx context.Context, req *pb.EndPriorAuthRequest) (*pb.EndPriorAuthResponse, error) {
	end, err := domain.ParseDate(req.GetEndDate())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "end_date: %v", err)
	}
	key := domain.PriorAuthKey{CardholderID: req.GetCardholderId(), PersonCode: req.GetPersonCode(), Number: req.GetNumber()}
	audit := pendingAudit(ctx)
	audit.Detail = "end " + end.String()
	out, err := s.engine.EndPriorAuth(ctx, key, end, audit)
	if err != nil {
		return nil, s.status(ctx, "EndPriorAuth", err)
	}
	return &pb.EndPriorAuthResponse{PriorAuth: enrollwire.PriorAuthToProto(&out)}, nil
}

// ListPriorAuths implements PriorAuthService.ListPriorAuths.
func (s *priorAuthService) ListPriorAuths(ctx context.Context, req *pb.ListPriorAuthsRequest) (*pb.ListPriorAuthsResponse, error) {
	pas, err := s.engine.PriorAuths(ctx, req.GetCardholderId(), req.GetPersonCode())
	if err != nil {
		return nil, s.status(ctx, "ListPriorAuths", err)
	}
	pendingAudit(ctx).Detail = fmt.Sprintf("%d prior authorizations of one family read", len(pas))
	out := &pb.ListPriorAuthsResponse{}
	for i := range pas {
		out.PriorAuths = append(out.PriorAuths, enrollwire.PriorAuthToProto(&pas[i]))
	}
	return out, nil
}

// GetPriorAuth implements PriorAuthService.GetPriorAuth.
func (s *priorAuthService) GetPriorAuth(ctx context.Context, req *pb.GetPriorAuthRequest) (*pb.GetPriorAuthResponse, error) {
	pas, err := s.engine.PriorAuths(ctx, req.GetCardholderId(), req.GetPersonCode())
	if err != nil {
		return nil, s.status(ctx, "GetPriorAuth", err)
	}
	for i := range pas {
		if pas[i].PersonCode == req.GetPersonCode() && pas[i].Number == req.GetNumber() {
			return &pb.GetPriorAuthResponse{PriorAuth: enrollwire.PriorAuthToProto(&pas[i])}, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "no prior authorization %s for the member", clip(req.GetNumber()))
}

// SyncPriorAuths implements PriorAuthService.SyncPriorAuths.
func (s *priorAuthService) SyncPriorAuths(ctx context.Context, req *pb.SyncPriorAuthsRequest) (*pb.SyncPriorAuthsResponse, error) {
	pas := make([]domain.PriorAuth, 0, len(req.GetPriorAuths()))
	audit := pendingAudit(ctx)
	for i, p := range req.GetPriorAuths() {
		pa, err := enrollwire.PriorAuthFromProto(p)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "prior_auths[%d]: %v", i, err)
		}
		pas = append(pas, pa)
		if i < 10 {
			audit.Objects = append(audit.Objects, adjudicator.PriorAuthObject(clip(pa.Number)))
		}
	}
	if err := s.engine.SyncPriorAuths(ctx, pas, audit); err != nil {
		return nil, s.status(ctx, "SyncPriorAuths", err)
	}
	s.log.InfoContext(ctx, "prior authorizations synced", "source", req.GetSource(), "batch", req.GetBatch(), "prior_auths", len(pas))
	return &pb.SyncPriorAuthsResponse{PriorAuths: int32(len(pas))}, nil
}
