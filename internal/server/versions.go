package server

import (
	"context"

	"github.com/rxclaims/rxclaims/adjudicator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// versionKind is one kind of dated configuration version (plans, networks)
// as its lifecycle RPCs carry it: each kind has Create…Draft,
// Update…Draft, Activate…, Inactivate… and Get…, and they differ only in
// these conversions.
type versionKind[T, P any] struct {
	fromJSON func([]byte) (T, error)
	toProto  func(T) (P, error)
	object   func(T) string // the audit object an update names
	update   string         // the update RPC's method name
}

// versionReply converts the version an admin method returned, or its error.
func versionReply[T, P any](ctx context.Context, s *adminService, k versionKind[T, P], method string, v T, err error) (P, error) {
	var zero P
	if err != nil {
		return zero, s.adminStatus(ctx, method, err)
	}
	out, err := k.toProto(v)
	if err != nil {
		return zero, s.adminStatus(ctx, method, err)
	}
	return out, nil
}

// versionDraft decodes the version of a draft request and applies fn as
// the caller.
func versionDraft[T, P any](ctx context.Context, s *adminService, k versionKind[T, P], method, versionJSON string,
	fn func(context.Context, T, *adjudicator.AuditEntry) (T, error)) (P, error) {
	v, err := k.fromJSON([]byte(versionJSON))
	if err != nil {
		var zero P
		return zero, status.Error(codes.InvalidArgument, err.Error())
	}
	audit := pendingAudit(ctx)
	if method == k.update {
		audit.Objects = append(audit.Objects, k.object(v))
	}
	out, err := fn(ctx, v, audit)
	return versionReply(ctx, s, k, method, out, err)
}

// versionStep applies an activation or inactivation as the caller.
func versionStep[T, P any](ctx context.Context, s *adminService, k versionKind[T, P], method, id string, version int32,
	fn func(context.Context, string, int, *adjudicator.AuditEntry) (T, error)) (P, error) {
	var zero P
	if id == "" {
		return zero, status.Error(codes.InvalidArgument, "id: required")
	}
	if version <= 0 {
		return zero, status.Error(codes.InvalidArgument, "version: must be positive")
	}
	out, err := fn(ctx, id, int(version), pendingAudit(ctx))
	return versionReply(ctx, s, k, method, out, err)
}

// versionList converts every version of one ID, for Get….
func versionList[T, P any](ctx context.Context, s *adminService, k versionKind[T, P], method string, vs []T, err error) ([]P, error) {
	if err != nil {
		return nil, s.adminStatus(ctx, method, err)
	}
	out := make([]P, 0, len(vs))
	for _, v := range vs {
		p, err := k.toProto(v)
		if err != nil {
			return nil, s.adminStatus(ctx, method, err)
		}
		out = append(out, p)
	}
	return out, nil
}
