package server

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/metrics"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// auditLog is what the authorizer needs to record calls.
type auditLog interface {
	AppendAudit(ctx context.Context, e *adjudicator.AuditEntry) error
}

// authorizer is the authorization and audit interceptor. It runs after
// authentication, which put the caller's auth.Identity in the context:
// it grants the identity its roles from the policy, refuses a call whose
// method needs a role the caller lacks (PermissionDenied naming the
// method and the role, counted, and audited unless it is a claim), and
// records every admin, enrollment and operational call in the audit
// trail: in the commit of the change it makes (the handler passes the
// pending entry to the engine), or alone.
type authorizer struct {
	policy  *authz.Policy
	audit   auditLog
	metrics *metrics.Metrics // may be nil
	log     *slog.Logger
	now     func() time.Time
}

// grantedRole is the first of need that id holds, or "".
func grantedRole(id auth.Identity, need []string) string {
	for _, r := range need {
		if id.HasRole(r) {
			return r
		}
	}
	return ""
}

// authorize returns ctx with the caller's roles, or the refusal (whose
// audit entry names objects).
func (a *authorizer) authorize(ctx context.Context, method string, objects []string) (context.Context, auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return ctx, id, status.Error(codes.Unauthenticated, "the caller is not authenticated")
	}
	id.Roles = a.policy.Roles(id)
	ctx = auth.NewContext(ctx, id)
	need, known := methodRoles[method]
	if grantedRole(id, need) != "" {
		return ctx, id, nil
	}
	missing := strings.Join(need, " or ")
	if !known {
		missing = "(none: the method is not in the role table)"
	}
	a.denied(ctx, id, method, missing, objects)
	return ctx, id, status.Errorf(codes.PermissionDenied, "%s requires the role %s", method, missing)
}

// denied counts, logs and (unless a claim) audits a refused call.
func (a *authorizer) denied(ctx context.Context, id auth.Identity, method, missing string, objects []string) {
	if a.metrics != nil {
		a.metrics.Denied(method, missing)
	}
	a.log.InfoContext(ctx, "call denied", "subject", id.Subject, "source", string(id.Source), "method", method, "needs", missing)
	if !audited(method) {
		return
	}
	e := a.entry(id, method, missing)
	e.Objects, e.Outcome = objects, adjudicator.AuditDenied
	if err := a.audit.AppendAudit(ctx, e); err != nil {
		a.log.ErrorContext(ctx, "audit entry of a denied call not written", "method", method, "error", err)
	}
}

// entry is the pending audit entry of a call by id.
func (a *authorizer) entry(id auth.Identity, method, role string) *adjudicator.AuditEntry {
	return &adjudicator.AuditEntry{Time: a.now(), Subject: id.Subject, Source: string(id.Source), Role: role, Method: method}
}

// unary authorizes and audits a unary call.
func (a *authorizer) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if public(info.FullMethod) {
		return handler(ctx, req)
	}
	objects := requestObjects(req)
	ctx, id, err := a.authorize(ctx, info.FullMethod, objects)
	if err != nil {
		return nil, err
	}
	if !audited(info.FullMethod) {
		return handler(ctx, req)
	}
	e := a.entry(id, info.FullMethod, grantedRole(id, methodRoles[info.FullMethod]))
	e.Objects = objects
	resp, err := handler(context.WithValue(ctx, auditKey{}, e), req)
	if err := a.finish(ctx, e, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// stream authorizes and audits a streaming call (its entry is appended
// alone, after the call).
func (a *authorizer) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if public(info.FullMethod) {
		return handler(srv, ss)
	}
	ctx, id, err := a.authorize(ss.Context(), info.FullMethod, nil)
	if err != nil {
		return err
	}
	if !audited(info.FullMethod) {
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
	e := a.entry(id, info.FullMethod, grantedRole(id, methodRoles[info.FullMethod]))
	err = handler(srv, &contextStream{ServerStream: ss, ctx: context.WithValue(ctx, auditKey{}, e)})
	return a.finish(ctx, e, err)
}

// contextStream is a server stream with the authorized context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

// finish records a call once its handler returned err. A change the
// engine made wrote e with it; otherwise e is appended now, with the
// call's outcome. An allowed call whose entry cannot be written fails
// (Unavailable): nothing it read leaves unrecorded. It returns the call's
// error.
func (a *authorizer) finish(ctx context.Context, e *adjudicator.AuditEntry, err error) error {
	switch {
	case err != nil:
		failed := *e
		failed.Seq, failed.Prev, failed.Hash = 0, adjudicator.AuditHash{}, adjudicator.AuditHash{}
		failed.Objects, failed.Outcome = slices.Clone(e.Objects), adjudicator.AuditFailed(status.Code(err).String())
		if aerr := a.audit.AppendAudit(ctx, &failed); aerr != nil {
			a.log.ErrorContext(ctx, "audit entry of a failed call not written", "method", e.Method, "error", aerr)
		}
		e = &failed
	case e.Seq == 0:
		if e.Outcome == "" {
			e.Outcome = adjudicator.AuditOK
		}
		if aerr := a.audit.AppendAudit(ctx, e); aerr != nil {
			a.log.ErrorContext(ctx, "audit entry not written; the call fails", "method", e.Method, "error", aerr)
			return status.Error(codes.Unavailable, "the audit trail cannot be written; the call was not answered")
		}
	}
	a.log.InfoContext(ctx, "audit", "seq", e.Seq, "subject", e.Subject, "source", e.Source, "role", e.Role,
		"method", e.Method, "objects", e.Objects, "detail", e.Detail, "outcome", e.Outcome, "hash", e.Hash.String())
	return err
}

type auditKey struct{}

// pendingAudit returns the pending audit entry of the call in ctx, which
// the handler completes with what the call touches and passes to the
// engine. Its Subject is the authenticated caller: the maker or checker.
func pendingAudit(ctx context.Context) *adjudicator.AuditEntry {
	if e, ok := ctx.Value(auditKey{}).(*adjudicator.AuditEntry); ok {
		return e
	}
	id, _ := auth.FromContext(ctx)
	return &adjudicator.AuditEntry{Time: time.Now(), Subject: id.Subject, Source: string(id.Source)}
}

// requestObjects names what a request is about, for its audit entry
// (denied or not): edits, plans, imports, claims and groups by ID, clipped. The
// engine adds what it learns (the version a draft gets, an import's
// counts). Prior authorizations are named by number. Families are never named: a cardholder ID is member data.
func requestObjects(req any) []string {
	switch r := req.(type) {
	case *pb.ActivateEditRequest:
		return []string{adjudicator.EditObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.InactivateEditRequest:
		return []string{adjudicator.EditObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.GetEditRequest:
		return []string{"edit " + clip(r.GetId())}
	case *pb.ActivatePlanRequest:
		return []string{adjudicator.PlanObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.InactivatePlanRequest:
		return []string{adjudicator.PlanObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.GetPlanRequest:
		return []string{"plan " + clip(r.GetId())}
	case *pb.ActivateNetworkRequest:
		return []string{adjudicator.NetworkObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.InactivateNetworkRequest:
		return []string{adjudicator.NetworkObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.GetNetworkRequest:
		return []string{"network " + clip(r.GetId())}
	case *pb.ActivateScheduleRequest:
		return []string{adjudicator.ScheduleObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.InactivateScheduleRequest:
		return []string{adjudicator.ScheduleObject(clip(r.GetId()), int(r.GetVersion()))}
	case *pb.GetScheduleRequest:
		return []string{"schedule " + clip(r.GetId())}
	case *pb.ActivateSettingsRequest:
		return []string{adjudicator.SettingsVersionObject(config.Level(clip(r.GetLevel())), clip(r.GetId()), int(r.GetVersion()))}
	case *pb.InactivateSettingsRequest:
		return []string{adjudicator.SettingsVersionObject(config.Level(clip(r.GetLevel())), clip(r.GetId()), int(r.GetVersion()))}
	case *pb.GetSettingsRequest:
		return []string{strings.TrimSpace(clip(r.GetLevel()) + " " + clip(r.GetId()))}
	case *pb.TestClaimRequest:
		var out []string
		for _, d := range r.GetDrafts()[:min(len(r.GetDrafts()), 10)] {
			out = append(out, adjudicator.EditObject(clip(d.GetId()), int(d.GetVersion())))
		}
		return out
	case *pb.ApproveImportRequest:
		return []string{adjudicator.ImportObject(clip(r.GetId()))}
	case *pb.RejectImportRequest:
		return []string{adjudicator.ImportObject(clip(r.GetId()))}
	case *pb.ReverseClaimRequest:
		return []string{"claim " + clip(r.GetClaimId())}
	case *pb.ReplayClaimRequest:
		return []string{"claim " + clip(r.GetClaimId())}
	case *pb.SyncFamiliesRequest:
		return []string{"group " + clip(r.GetGroupId())}
	case *pb.CreatePriorAuthRequest:
		return []string{adjudicator.PriorAuthObject(clip(r.GetPriorAuth().GetNumber()))}
	case *pb.ChangePriorAuthRequest:
		return []string{adjudicator.PriorAuthObject(clip(r.GetPriorAuth().GetNumber()))}
	case *pb.EndPriorAuthRequest:
		return []string{adjudicator.PriorAuthObject(clip(r.GetNumber()))}
	case *pb.GetPriorAuthRequest:
		return []string{adjudicator.PriorAuthObject(clip(r.GetNumber()))}
	case *pb.StartEligibilityRetroRequest:
		return []string{"retro job " + clip(r.GetJobId())}
	case *pb.StartConfigurationRetroRequest:
		return []string{"retro job " + clip(r.GetJobId())}
	case *pb.GetRetroReportRequest:
		return []string{"retro job " + clip(r.GetJobId())}
	case *pb.CancelRetroJobRequest:
		return []string{"retro job " + clip(r.GetJobId())}
	}
	return nil
}

// clip bounds an ID a caller sent before it goes into the audit trail.
func clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	return strings.ToValidUTF8(s[:most], "") + "…"
}
