package loader

import (
	"context"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
)

// GRPCSink is the production Sink: the adjudicator's EnrollmentService.
// Calls wait for the connection to be ready (an adjudicator restarting is
// waited for) up to the caller's deadline, or Timeout when it has none.
type GRPCSink struct {
	client  pb.EnrollmentServiceClient
	pas     pb.PriorAuthServiceClient
	retro   pb.RetroServiceClient
	source  string
	Timeout time.Duration // default 30s
}

func (s *GRPCSink) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.Timeout)
}

var ready = grpc.WaitForReady(true)

// NewGRPCSink returns a Sink over conn; source names this loader in the
// adjudicator's logs.
func NewGRPCSink(conn grpc.ClientConnInterface, source string) *GRPCSink {
	return &GRPCSink{client: pb.NewEnrollmentServiceClient(conn), pas: pb.NewPriorAuthServiceClient(conn), retro: pb.NewRetroServiceClient(conn), source: source, Timeout: 30 * time.Second}
}

// SyncFamilies implements Sink.
func (s *GRPCSink) SyncFamilies(ctx context.Context, b FamilyBatch) ([]string, error) {
	req := &pb.SyncFamiliesRequest{Source: s.source, Batch: b.Seq, GroupId: b.Group, RemovedCardholderIds: b.Removed}
	for i := range b.Families {
		req.Families = append(req.Families, enrollwire.FamilyToProto(&b.Families[i]))
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := s.client.SyncFamilies(ctx, req, ready)
	if err != nil {
		return nil, err
	}
	return resp.GetKeptCardholderIds(), nil
}

// SyncCatalog implements Sink: the catalog through EnrollmentService,
// prior authorizations through PriorAuthService.SyncPriorAuths.
func (s *GRPCSink) SyncCatalog(ctx context.Context, b CatalogBatch) error {
	if len(b.PriorAuths) > 0 {
		req := &pb.SyncPriorAuthsRequest{Source: s.source, Batch: b.Seq}
		for i := range b.PriorAuths {
			req.PriorAuths = append(req.PriorAuths, enrollwire.PriorAuthToProto(&b.PriorAuths[i]))
		}
		cctx, cancel := s.ctx(ctx)
		defer cancel()
		if _, err := s.pas.SyncPriorAuths(cctx, req, ready); err != nil {
			return err
		}
		if len(b.Drugs)+len(b.Pharmacies)+len(b.Networks)+len(b.Schedules) == 0 {
			return nil
		}
	}
	req := &pb.SyncCatalogRequest{Source: s.source, Batch: b.Seq}
	for i := range b.Drugs {
		req.Drugs = append(req.Drugs, enrollwire.DrugToProto(&b.Drugs[i]))
	}
	for i := range b.Pharmacies {
		req.Pharmacies = append(req.Pharmacies, enrollwire.PharmacyToProto(&b.Pharmacies[i]))
	}
	for i := range b.Networks {
		req.Networks = append(req.Networks, enrollwire.NetworkToProto(&b.Networks[i]))
	}
	for i := range b.Schedules {
		req.Schedules = append(req.Schedules, enrollwire.ScheduleToProto(&b.Schedules[i]))
	}
	for i := range b.Prescribers {
		req.Prescribers = append(req.Prescribers, enrollwire.PrescriberToProto(&b.Prescribers[i]))
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.client.SyncCatalog(ctx, req, ready)
	return err
}

// MemberClaims implements Sink.
func (s *GRPCSink) MemberClaims(ctx context.Context, cardholderID, personCode string, from, to domain.Date) ([]ClaimRef, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := s.client.ListMemberClaims(ctx, &pb.ListMemberClaimsRequest{
		CardholderId: cardholderID, PersonCode: personCode, From: from.String(), To: to.String()}, ready)
	if err != nil {
		return nil, err
	}
	out := make([]ClaimRef, 0, len(resp.GetClaims()))
	for _, c := range resp.GetClaims() {
		dos, err := domain.ParseDate(c.GetDateOfService())
		if err != nil {
			return nil, fmt.Errorf("claim %s: date_of_service: %w", c.GetClaimId(), err)
		}
		out = append(out, ClaimRef{ClaimID: c.GetClaimId(), CardholderID: cardholderID, PersonCode: personCode,
			PharmacyNPI: c.GetPharmacyNpi(), RxNumber: c.GetRxNumber(), FillNumber: int(c.GetFillNumber()),
			DateOfService: dos, PlanID: c.GetPlanId(), Status: c.GetTransactionStatus()})
	}
	return out, nil
}

// ReverseClaim implements Sink.
func (s *GRPCSink) ReverseClaim(ctx context.Context, claimID string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	resp, err := s.client.ReverseClaim(ctx, &pb.ReverseClaimRequest{ClaimId: claimID}, ready)
	if err != nil {
		return err
	}
	if resp.GetTransactionStatus() == "R" && !resp.GetAlreadyReversed() {
		return fmt.Errorf("claim %s: the reversal was rejected", claimID)
	}
	return nil
}

// Readjudicate implements Sink: RetroService.StartEligibilityRetro, which
// records the job for the adjudicator's background runner, then
// GetRetroReport until the job is no longer RUNNING. The wait is bounded
// by ctx only, not by Timeout.
func (s *GRPCSink) Readjudicate(ctx context.Context, j RetroJob) ([]RetroLine, error) {
	resp, err := s.retro.StartEligibilityRetro(ctx, &pb.StartEligibilityRetroRequest{JobId: j.ID, CardholderId: j.CardholderID,
		PersonCode: j.PersonCode, From: j.From.String(), Reason: j.Reason}, ready)
	if err != nil {
		return nil, err
	}
	rep := resp.GetReport()
	for pause := 20 * time.Millisecond; rep.GetState() == "RUNNING"; pause = min(2*pause, time.Second) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for retro job %s: %w", j.ID, ctx.Err())
		case <-time.After(pause):
		}
		r, err := s.retro.GetRetroReport(ctx, &pb.GetRetroReportRequest{JobId: j.ID}, ready)
		if err != nil {
			return nil, err
		}
		rep = r.GetReport()
	}
	if rep.GetState() == "FAILED" {
		return nil, fmt.Errorf("retro job %s failed: %s", j.ID, rep.GetError())
	}
	var out []RetroLine
	for _, l := range rep.GetLines() {
		line := RetroLine{ClaimID: l.GetClaimId(), DateOfService: l.GetDateOfService(), State: l.GetState(),
			PlanBefore: l.GetBefore().GetPlanId(), NewClaimID: l.GetNewClaimId(), StatusAfter: l.GetAfter().GetStatus(),
			PlanAfter: l.GetAfter().GetPlanId(), RejectsAfter: l.GetAfter().GetRejectCodes()}
		out = append(out, line)
	}
	return out, nil
}
