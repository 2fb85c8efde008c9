package server

import (
	"context"
	"log/slog"
	"sync"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// retroService adapts the engine's retro jobs to the RetroService gRPC
// API: a start stores the job and wakes the server's runner, which runs
// it in the background.
type retroService struct {
	pb.UnimplementedRetroServiceServer
	engine *adjudicator.Engine
	runner *adjudicator.RetroRunner
	log    *slog.Logger
}

func newRetroService(engine *adjudicator.Engine, runner *adjudicator.RetroRunner, log *slog.Logger) *retroService {
	if log == nil {
		log = slog.Default()
	}
	return &retroService{engine: engine, runner: runner, log: log}
}

// retroRun is the server's retro runner, run from Serve until the server
// stops: a stop cancels the jobs running, which stop at their next claim
// transaction and stay RUNNING, and waits for them.
type retroRun struct {
	runner *adjudicator.RetroRunner
	once   sync.Once
	cancel context.CancelFunc
	done   chan struct{}
}

func newRetroRun(r *adjudicator.RetroRunner) *retroRun {
	return &retroRun{runner: r, done: make(chan struct{})}
}

func (r *retroRun) start() {
	r.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		go func() {
			defer close(r.done)
			r.runner.Run(ctx)
		}()
	})
}

func (r *retroRun) stop() {
	r.once.Do(func() { close(r.done) }) // never started: nothing to wait for
	if r.cancel != nil {
		r.cancel()
	}
	<-r.done
}

func (s *retroService) status(ctx context.Context, method string, err error) error {
	what := "the retro job could not start"
	switch method {
	case "GetRetroReport":
		what = "the retro report could not be read"
	case "CancelRetroJob":
		what = "the retro job could not be cancelled"
	}
	return engineStatus(ctx, s.log, method, what, err)
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
	rep, err := s.engine.SubmitRetro(ctx, req, pendingAudit(ctx))
	if err != nil {
		return nil, s.status(ctx, method, err)
	}
	if rep.State == adjudicator.RetroJobRunning {
		s.runner.Wake()
	}
	s.log.InfoContext(ctx, "retro job submitted", "job", rep.Job.ID, "kind", rep.Job.Request.Kind, "claims", len(rep.Job.Claims),
		"state", rep.State, "done", rep.Done, "skipped", rep.Skipped)
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

// CancelRetroJob implements RetroService.CancelRetroJob: the caller needs
// the role that starts a job of its kind.
func (s *retroService) CancelRetroJob(ctx context.Context, req *pb.CancelRetroJobRequest) (*pb.CancelRetroJobResponse, error) {
	rep, err := s.engine.RetroReport(ctx, req.GetJobId())
	if err != nil {
		return nil, s.status(ctx, "CancelRetroJob", err)
	}
	need := authz.ConfigApprover
	if rep.Job.Request.Kind == adjudicator.RetroEligibility {
		need = authz.EnrollmentOperator
	}
	if id, _ := auth.FromContext(ctx); !id.HasRole(need) {
		return nil, status.Errorf(codes.PermissionDenied, "cancelling a %s retro job needs the role %s", rep.Job.Request.Kind, need)
	}
	audit := pendingAudit(ctx)
	audit.Role = need // the role that allows this cancel, not the first of the method's list the caller holds
	if rep, err = s.engine.CancelRetro(ctx, req.GetJobId(), audit); err != nil {
		return nil, s.status(ctx, "CancelRetroJob", err)
	}
	s.log.InfoContext(ctx, "retro job cancel", "job", rep.Job.ID, "state", rep.State, "done", rep.Done, "skipped", rep.Skipped)
	return &pb.CancelRetroJobResponse{Report: wire.RetroReportToProto(rep)}, nil
}
