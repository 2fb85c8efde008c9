package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// claimsService adapts the engine to the ClaimsService gRPC API. It is the
// only place engine errors become status codes.
type claimsService struct {
	pb.UnimplementedClaimsServiceServer
	engine  *adjudicator.Engine
	metrics *metrics.Metrics
	log     *slog.Logger
}

// newClaimsService returns the service over engine; m may be nil.
func newClaimsService(engine *adjudicator.Engine, m *metrics.Metrics, log *slog.Logger) *claimsService {
	if log == nil {
		log = slog.Default()
	}
	return &claimsService{engine: engine, metrics: m, log: log}
}

func (s *claimsService) observe(tx string, r *adjudicator.Response, start time.Time) {
	if s.metrics == nil {
		return
	}
	codes := make([]string, len(r.Rejects))
	for i, c := range r.Rejects {
		codes[i] = string(c)
	}
	s.metrics.ObserveClaim(tx, string(r.Status), codes, time.Since(start))
	s.metrics.ObserveFlags(tx, r.Flags)
}

// toStatus maps an engine error to a gRPC status. Messages name the problem
// and never carry member data.
func (s *claimsService) toStatus(ctx context.Context, method string, err error) error {
	return engineStatus(ctx, s.log, method, "the claim could not be decided", err)
}

// engineStatus maps the engine's errors to gRPC statuses. An unexpected
// error is logged with a reference; the caller is told what failed and the
// reference, never the error's text (internal detail).
func engineStatus(ctx context.Context, log *slog.Logger, method, what string, err error) error {
	switch {
	case errors.Is(err, adjudicator.ErrInvalid), errors.Is(err, edits.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, adjudicator.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, edits.ErrConflict): // a catalog sync naming a network with dated versions
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, adjudicator.ErrBusy):
		return status.Error(codes.ResourceExhausted, err.Error())
	case errors.Is(err, adjudicator.ErrStaleConfig):
		return status.Error(codes.Aborted, adjudicator.ErrStaleConfig.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, adjudicator.ErrUnavailable):
		// The store logged its failure once; health is NOT_SERVING.
		return status.Error(codes.Unavailable, what+": "+err.Error())
	}
	ref := errorRef()
	log.ErrorContext(ctx, "transaction failed", "method", method, "ref", ref, "error", err)
	if errors.Is(err, adjudicator.ErrInternal) {
		return status.Errorf(codes.Internal, "%s: internal error (ref %s)", what, ref)
	}
	return status.Errorf(codes.Unavailable, "%s: the service is unavailable; retry later (ref %s)", what, ref)
}

// errorRef is a random reference that ties an error's answer to its log line.
func errorRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Bill implements ClaimsService.Bill (B1).
func (s *claimsService) Bill(ctx context.Context, req *pb.BillRequest) (*pb.BillResponse, error) {
	start := time.Now()
	r, err := s.engine.Bill(ctx, wire.ClaimFromProto(req.GetClaim()))
	if err != nil {
		return nil, s.toStatus(ctx, "Bill", err)
	}
	s.observe(adjudicator.TxBill, r, start)
	return &pb.BillResponse{Result: wire.ResultToProto(r, req.GetTrace())}, nil
}

// Rebill implements ClaimsService.Rebill (B3).
func (s *claimsService) Rebill(ctx context.Context, req *pb.RebillRequest) (*pb.RebillResponse, error) {
	start := time.Now()
	r, err := s.engine.Rebill(ctx, wire.ClaimFromProto(req.GetClaim()))
	if err != nil {
		return nil, s.toStatus(ctx, "Rebill", err)
	}
	s.observe(adjudicator.TxRebill, r, start)
	return &pb.RebillResponse{Result: wire.ResultToProto(r, req.GetTrace())}, nil
}

// Reverse implements ClaimsService.Reverse (B2).
func (s *claimsService) Reverse(ctx context.Context, req *pb.ReverseRequest) (*pb.ReverseResponse, error) {
	start := time.Now()
	r, err := s.engine.Reverse(ctx, wire.ReversalFromProto(req.GetReversal()))
	if err != nil {
		return nil, s.toStatus(ctx, "Reverse", err)
	}
	s.observe(adjudicator.TxReverse, r, start)
	return &pb.ReverseResponse{Result: wire.ResultToProto(r, req.GetTrace())}, nil
}

// CheckEligibility implements ClaimsService.CheckEligibility (E1).
func (s *claimsService) CheckEligibility(ctx context.Context, req *pb.CheckEligibilityRequest) (*pb.CheckEligibilityResponse, error) {
	start := time.Now()
	res, err := s.engine.CheckEligibility(ctx, &adjudicator.EligibilityQuery{
		BIN: req.GetBin(), PCN: req.GetProcessorControlNumber(), GroupID: req.GetGroupId(),
		CardholderID: req.GetCardholderId(), PersonCode: req.GetPersonCode(), DateOfBirth: req.GetDateOfBirth(),
		DateOfService: req.GetDateOfService(), PharmacyNPI: req.GetPharmacyNpi(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, "CheckEligibility", err)
	}
	s.observe("E1", &adjudicator.Response{Status: res.Status, Rejects: res.Rejects}, start)
	out := &pb.CheckEligibilityResponse{
		TransactionStatus: string(res.Status), Message: res.Message, PlanId: res.PlanID, GroupId: res.GroupID,
		CoverageEffective: res.Coverage.From.String(), CoverageTermination: res.Coverage.To.String(),
		NetworkType: res.NetworkType, NetworkClassification: res.NetworkClass,
	}
	for _, c := range res.Rejects {
		out.Rejects = append(out.Rejects, &pb.Reject{Code: string(c), Text: c.Text()})
	}
	return out, nil
}

// GetBenefits implements ClaimsService.GetBenefits.
func (s *claimsService) GetBenefits(ctx context.Context, req *pb.GetBenefitsRequest) (*pb.GetBenefitsResponse, error) {
	b, err := s.engine.Benefits(ctx, &adjudicator.BenefitsQuery{
		CardholderID: req.GetCardholderId(), PersonCode: req.GetPersonCode(), DateOfBirth: req.GetDateOfBirth(), AsOf: req.GetAsOfDate(),
		NetworkType: req.GetNetworkType(), NetworkClass: req.GetNetworkClassification(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, "GetBenefits", err)
	}
	out := &pb.GetBenefitsResponse{
		PlanId: b.PlanID, PeriodStart: b.PeriodStart.String(), PeriodEnd: b.PeriodEnd.String(),
		IndividualDeductible: amountsToProto(b.IndividualDeductible), FamilyDeductible: amountsToProto(b.FamilyDeductible),
		IndividualOutOfPocket: amountsToProto(b.IndividualOutOfPocket), FamilyOutOfPocket: amountsToProto(b.FamilyOutOfPocket),
		PlanPaid: wire.Money(b.PlanPaid), RxCount: b.RxCount,
	}
	if b.Segment.Valid() {
		out.NetworkType, out.NetworkClassification = b.Segment.Type.String(), b.Segment.Class.String()
	}
	for _, d := range []struct {
		scope string
		doc   *accumulators.Doc
	}{{"MEMBER", b.Member}, {"FAMILY", b.Family}} {
		for _, e := range d.doc.Entries {
			amount := wire.Money(e.Amount)
			if e.Kind == accumulators.RxCount || e.Kind == accumulators.Units {
				amount = e.Amount.String()
			}
			out.Accumulators = append(out.Accumulators, &pb.Accumulator{
				Scope: d.scope, Kind: e.Kind.String(), Level: e.Level, NetworkType: e.Segment.Type.String(),
				NetworkClassification: e.Segment.Class.String(), Amount: amount,
			})
		}
	}
	return out, nil
}

func amountsToProto(a adjudicator.Amounts) *pb.Amounts {
	return &pb.Amounts{Limit: wire.NullMoney(a.Limit), Accumulated: wire.Money(a.Accumulated), Remaining: wire.NullMoney(a.Remaining)}
}
