package server

import (
	"context"
	"log/slog"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// retroService adapts the engine's retro jobs to the RetroService gRPC API.
type retroService struct {
	pb.UnimplementedRetroServiceServer
	engine *adjudicator.Engine
	log    *slog.Logger
}

func newRetroService(engine *adjudicator.Engine, log *slog.Logger) *retroService {
	if log == nil {
		log = slog.Default()
	}
	return &retroService{engine: engine, log: log}
}

func (s *retroService) status(ctx context.Context, method string, err error) error {
	return engineStatus(ctx, s.log, method, "the retro job could not run", err)
}

// StartEligibilityRetro implements RetroService.StartEligibilityRetro.
func (s *retroService) StartEligibilityRetro(ctx context.Context, req *pb.StartEligibilityRetroRequest) (*pb.StartEligibilityRetroResponse, error) {
	from, err := retroDate("from", req.GetFrom())
	if err != nil {
		return nil, err
	}
	rep, err := s.start(ctx, "StartEligibilityRetro", adjudicator.RetroRequest{JobID: req.GetJobId(), Kind: adjudicator.RetroEligibility,
		CardholderID: req.GetCardholderId(), PersonCode: req.GetPersonCode(), From: from, Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &pb.StartEligibilityRetroResponse{Report: rep}, nil
}

// StartConfigurationRetro implements RetroService.StartConfigurationRetro.
func (s *retroService) StartConfigurationRetro(ctx context.Context, req *pb.StartConfigurationRetroRequest) (*pb.StartConfigurationRetroResponse, error) {
	from, err := retroDate("from", req.GetFrom())
	if err != nil {
		return nil, err
	}
	to, err := retroDate("to", req.GetTo())
	if err != nil {
		return nil, err
	}
	rep, err := s.start(ctx, "StartConfigurationRetro", adjudicator.RetroRequest{JobID: req.GetJobId(), Kind: adjudicator.RetroConfiguration,
		From: from, To: to, PlanID: req.GetPlanId(), GroupID: req.GetGroupId(), ClientID: req.GetClientId(), Reason: req.GetReason()})
	if err != nil {
		return nil, err
	}
	return &pb.StartConfigurationRetroResponse{Report: rep}, nil
}

// retroDate reads a request's date; empty is the zero date, which the
// engine refuses where a date is needed.
func retroDate(name, v string) (domain.Date, error) {
	if v == "" {
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		return d, status.Errorf(codes.InvalidArgument, "%s must be a date (YYYY-MM-DD)", name)
	}
	return d, nil
}

func (s *retroService) start(ctx context.Context, method string, req adjudicator.RetroRequest) (*pb.RetroReport, error) {
	rep, err := s.engine.StartRetro(ctx, req, pendingAudit(ctx))
	if err != nil {
		return nil, s.status(ctx, method, err)
	}
	s.log.InfoContext(ctx, "retro job ran", "job", rep.Job.ID, "kind", rep.Job.Request.Kind, "claims", len(rep.Job.Claims),
		"done", rep.Done, "skipped", rep.Skipped, "changed", rep.Changed)
	return wire.RetroReportToProto(rep), nil
}

// GetRetroReport implements RetroService.GetRetroReport.
func (s *retroService) GetRetroReport(ctx context.Context, req *pb.GetRetroReportRequest) (*pb.GetRetroReportResponse, error) {
	rep, err := s.engine.RetroReport(ctx, req.GetJobId())
	if err != nil {
		return nil, s.status(ctx, "GetRetroReport", err)
	}
	return &pb.GetRetroReportResponse{Report: wire.RetroReportToProto(rep)}, nil
}
