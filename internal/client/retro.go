package client

import (
	"context"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Retro calls a RetroService with domain types; like Admin, it names the
// acting user in the x-user metadata (development mode).
type Retro struct {
	c    pb.RetroServiceClient
	user string
}

// NewRetro wraps a connection; user is the acting user.
func NewRetro(conn grpc.ClientConnInterface, user string) *Retro {
	return &Retro{c: pb.NewRetroServiceClient(conn), user: user}
}

func (c *Retro) ctx(ctx context.Context) context.Context {
	if c.user == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, UserMetadataKey, c.user)
}

func report(r interface{ GetReport() *pb.RetroReport }, err error) (*adjudicator.RetroReport, error) {
	if err != nil {
		return nil, err
	}
	return wire.RetroReportFromProto(r.GetReport())
}

// Start starts or resumes the job req describes, by its kind, and reports it.
func (c *Retro) Start(ctx context.Context, req adjudicator.RetroRequest) (*adjudicator.RetroReport, error) {
	date := func(d interface {
		IsZero() bool
		String() string
	}) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	if req.Kind == adjudicator.RetroEligibility {
		return report(c.c.StartEligibilityRetro(c.ctx(ctx), &pb.StartEligibilityRetroRequest{JobId: req.JobID,
			CardholderId: req.CardholderID, PersonCode: req.PersonCode, From: date(req.From), Reason: req.Reason}))
	}
	return report(c.c.StartConfigurationRetro(c.ctx(ctx), &pb.StartConfigurationRetroRequest{JobId: req.JobID,
		From: date(req.From), To: date(req.To), PlanId: req.PlanID, GroupId: req.GroupID, ClientId: req.ClientID, Reason: req.Reason}))
}

// Report reports a stored job.
func (c *Retro) Report(ctx context.Context, id string) (*adjudicator.RetroReport, error) {
	return report(c.c.GetRetroReport(c.ctx(ctx), &pb.GetRetroReportRequest{JobId: id}))
}

// Cancel cancels a stored job and reports it.
func (c *Retro) Cancel(ctx context.Context, id string) (*adjudicator.RetroReport, error) {
	return report(c.c.CancelRetroJob(c.ctx(ctx), &pb.CancelRetroJobRequest{JobId: id}))
}

// Wait polls the job's report until it is no longer RUNNING (DONE,
// FAILED or CANCELLED; a report without a state, from a server that ran jobs in the
// start call, has ended too) and returns it; ctx bounds the wait.
func (c *Retro) Wait(ctx context.Context, id string) (*adjudicator.RetroReport, error) {
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		rep, err := c.Report(ctx, id)
		if err != nil || rep.State != adjudicator.RetroJobRunning {
			return rep, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for retro job %s: %w", id, ctx.Err())
		case <-time.After(pause):
		}
	}
}
