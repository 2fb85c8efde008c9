package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire/enrollwire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// enrollmentService adapts the engine to the EnrollmentService gRPC API,
// which the loader sidecar syncs through.
type enrollmentService struct {
	pb.UnimplementedEnrollmentServiceServer
	engine *adjudicator.Engine
	log    *slog.Logger
}

// newEnrollmentService returns the service over engine.
func newEnrollmentService(engine *adjudicator.Engine, log *slog.Logger) *enrollmentService {
	if log == nil {
		log = slog.Default()
	}
	return &enrollmentService{engine: engine, log: log}
}

func (s *enrollmentService) status(ctx context.Context, method string, err error) error {
	return engineStatus(ctx, s.log, method, "the change could not be applied", err)
}

// SyncFamilies implements EnrollmentService.SyncFamilies.
func (s *enrollmentService) SyncFamilies(ctx context.Context, req *pb.SyncFamiliesRequest) (*pb.SyncFamiliesResponse, error) {
	fams := make([]domain.Family, 0, len(req.GetFamilies()))
	for i, f := range req.GetFamilies() {
		af, err := enrollwire.FamilyFromProto(f)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "families[%d]: %v", i, err)
		}
		if af.GroupID != req.GetGroupId() {
			return nil, status.Error(codes.InvalidArgument, "a family's group differs from the batch's group")
		}
		fams = append(fams, af)
	}
	kept, err := s.engine.SyncFamilies(ctx, fams, req.GetCancelledCardholderIds(), req.GetRemovedCardholderIds(), pendingAudit(ctx))
	if err != nil {
		return nil, s.status(ctx, "SyncFamilies", err)
	}
	s.log.InfoContext(ctx, "families synced", "source", req.GetSource(), "batch", req.GetBatch(),
		"families", len(fams), "cancelled", len(req.GetCancelledCardholderIds()),
		"removed", len(req.GetRemovedCardholderIds())-len(kept), "kept", len(kept))
	return &pb.SyncFamiliesResponse{Families: int32(len(fams) + len(req.GetCancelledCardholderIds())), KeptCardholderIds: kept}, nil
}

// SyncCatalog implements EnrollmentService.SyncCatalog.
func (s *enrollmentService) SyncCatalog(ctx context.Context, req *pb.SyncCatalogRequest) (*pb.SyncCatalogResponse, error) {
	var drugs []domain.Drug
	var pharmacies []domain.Pharmacy
	var networks []domain.Network
	for _, d := range req.GetDrugs() {
		v, err := enrollwire.DrugFromProto(d)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "drug: %v", err)
		}
		drugs = append(drugs, v)
	}
	for _, p := range req.GetPharmacies() {
		v, err := enrollwire.PharmacyFromProto(p)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "pharmacy: %v", err)
		}
		pharmacies = append(pharmacies, v)
	}
	for _, n := range req.GetNetworks() {
		v, err := enrollwire.NetworkFromProto(n)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "network: %v", err)
		}
		networks = append(networks, v)
	}
	var schedules []edits.Schedule
	for _, x := range req.GetSchedules() {
		v, err := enrollwire.ScheduleFromProto(x)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "schedule: %v", err)
		}
		schedules = append(schedules, v)
	}
	var prescribers []domain.Prescriber
	for _, x := range req.GetPrescribers() {
		v, err := enrollwire.PrescriberFromProto(x)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "prescriber: %v", err)
		}
		prescribers = append(prescribers, v)
	}
	cat := adjudicator.Catalog{Drugs: drugs, Pharmacies: pharmacies, Networks: networks, Schedules: schedules, Prescribers: prescribers}
	if err := s.engine.UpsertCatalog(ctx, cat, pendingAudit(ctx)); err != nil {
		return nil, s.status(ctx, "SyncCatalog", err)
	}
	s.log.InfoContext(ctx, "catalog synced", "source", req.GetSource(), "batch", req.GetBatch(),
		"drugs", len(drugs), "pharmacies", len(pharmacies), "networks", len(networks), "schedules", len(schedules), "prescribers", len(prescribers))
	return &pb.SyncCatalogResponse{}, nil
}

// ListMemberClaims implements EnrollmentService.ListMemberClaims.
func (s *enrollmentService) ListMemberClaims(ctx context.Context, req *pb.ListMemberClaimsRequest) (*pb.ListMemberClaimsResponse, error) {
	from, err1 := domain.ParseDate(req.GetFrom())
	to, err2 := domain.ParseDate(req.GetTo())
	if err := errors.Join(err1, err2); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "from and to must be dates: %v", err)
	}
	recs, err := s.engine.MemberClaims(ctx, req.GetCardholderId(), req.GetPersonCode(), from, to)
	if err != nil {
		return nil, s.status(ctx, "ListMemberClaims", err)
	}
	// The member is not named in the audit trail (a cardholder ID is
	// member data): the entry counts what was read.
	pendingAudit(ctx).Detail = fmt.Sprintf("%d paid claims of one member read", len(recs))
	out := &pb.ListMemberClaimsResponse{}
	for _, r := range recs {
		mc := &pb.MemberClaim{ClaimId: r.ID, PharmacyNpi: r.Key.PharmacyNPI, RxNumber: r.Key.RxNumber,
			FillNumber: int32(r.Key.FillNumber), TransactionStatus: "P"}
		if r.Claim != nil {
			mc.DateOfService = r.Claim.DateOfService
		}
		if r.Response != nil {
			mc.PlanId = r.Response.PlanID
		}
		out.Claims = append(out.Claims, mc)
	}
	return out, nil
}

// ReverseClaim implements EnrollmentService.ReverseClaim.
func (s *enrollmentService) ReverseClaim(ctx context.Context, req *pb.ReverseClaimRequest) (*pb.ReverseClaimResponse, error) {
	audit := pendingAudit(ctx)
	r, already, err := s.engine.ReverseClaim(ctx, req.GetClaimId(), audit)
	if err != nil {
		return nil, s.status(ctx, "ReverseClaim", err)
	}
	out := &pb.ReverseClaimResponse{AlreadyReversed: already}
	if r != nil {
		out.TransactionStatus = string(r.Status)
	}
	if audit.Seq == 0 { // no reversal was committed: say why
		audit.Detail = fmt.Sprintf("already reversed %v, transaction status %s", already, out.TransactionStatus)
	}
	return out, nil
}
