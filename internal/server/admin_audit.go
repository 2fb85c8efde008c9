package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/domain"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Imports take two people: ImportBundle proposes, ApproveImport (by
// another configuration approver) applies.

// ImportBundle implements AdminService.ImportBundle: it proposes the
// bundle as a pending import.
func (s *adminService) ImportBundle(ctx context.Context, req *pb.ImportBundleRequest) (*pb.ImportBundleResponse, error) {
	p, err := s.engine.ProposeImport(ctx, req.GetBundle(), pendingAudit(ctx))
	if err != nil {
		return nil, s.adminStatus(ctx, "ImportBundle", err)
	}
	out := wire.ImportSummaryToProto(p.Summary)
	out.PendingId, out.ProposedBy, out.Applied = p.ID, p.ProposedBy, p.ID == ""
	return out, nil
}

// ApproveImport implements AdminService.ApproveImport.
func (s *adminService) ApproveImport(ctx context.Context, req *pb.ApproveImportRequest) (*pb.ApproveImportResponse, error) {
	if req.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	sum, err := s.engine.ApproveImport(ctx, req.GetId(), pendingAudit(ctx))
	if err != nil {
		return nil, s.adminStatus(ctx, "ApproveImport", err)
	}
	out := wire.ImportSummaryToProto(sum)
	out.Applied = true
	return &pb.ApproveImportResponse{Summary: out}, nil
}

// RejectImport implements AdminService.RejectImport.
func (s *adminService) RejectImport(ctx context.Context, req *pb.RejectImportRequest) (*pb.RejectImportResponse, error) {
	if req.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	if err := s.engine.RejectImport(ctx, req.GetId(), pendingAudit(ctx)); err != nil {
		return nil, s.adminStatus(ctx, "RejectImport", err)
	}
	return &pb.RejectImportResponse{}, nil
}

// ListImports implements AdminService.ListImports.
func (s *adminService) ListImports(ctx context.Context, _ *pb.ListImportsRequest) (*pb.ListImportsResponse, error) {
	all, err := s.engine.PendingImports(ctx)
	if err != nil {
		return nil, s.adminStatus(ctx, "ListImports", err)
	}
	out := &pb.ListImportsResponse{}
	for _, p := range all {
		out.Imports = append(out.Imports, wire.PendingImportToProto(p))
	}
	return out, nil
}

// Audit queries return at most maxAuditEntries entries, defaultAuditEntries
// unless the request asks for another number.
const (
	defaultAuditEntries = 100
	maxAuditEntries     = 1000
)

// ListAudit implements AdminService.ListAudit.
func (s *adminService) ListAudit(ctx context.Context, req *pb.ListAuditRequest) (*pb.ListAuditResponse, error) {
	q, err := auditQuery(req)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	entries, err := s.engine.ReadAudit(ctx, q)
	if err != nil {
		return nil, s.adminStatus(ctx, "ListAudit", err)
	}
	pendingAudit(ctx).Detail = fmt.Sprintf("%d entries read", len(entries))
	out := &pb.ListAuditResponse{}
	for _, e := range entries {
		out.Entries = append(out.Entries, wire.AuditEntryToProto(e))
	}
	return out, nil
}

// auditQuery reads a ListAudit request.
func auditQuery(req *pb.ListAuditRequest) (adjudicator.AuditQuery, error) {
	from, errFrom := auditTime("from", req.GetFrom(), false)
	to, errTo := auditTime("to", req.GetTo(), true)
	q := adjudicator.AuditQuery{From: from, To: to, Subject: req.GetUser(), Object: req.GetObject(),
		AfterSeq: req.GetAfterSeq(), Limit: int(req.GetLimit())}
	switch {
	case errFrom != nil || errTo != nil:
		return q, errors.Join(errFrom, errTo)
	case q.Limit < 0 || q.Limit > maxAuditEntries:
		return q, fmt.Errorf("limit: %d is not between 0 and %d", q.Limit, maxAuditEntries)
	case q.Limit == 0:
		q.Limit = defaultAuditEntries
	}
	return q, nil
}

// auditTime reads an RFC 3339 time or a YYYY-MM-DD date (its midnight UTC;
// for an end, the midnight after it, so the day is included).
func auditTime(field, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %s is neither an RFC 3339 time nor a YYYY-MM-DD date", field, domain.Quote(v))
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
