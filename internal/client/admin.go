package client

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// UserMetadataKey is the gRPC metadata key naming the acting user of an
// AdminService call (the server reads the same key).
const UserMetadataKey = "x-user"

// Admin calls an AdminService with the engine's domain types. Every
// call names the acting user in the x-user metadata. Errors are the
// service's gRPC status errors; Problems reads an edit's validation
// problems from one.
type Admin struct {
	c    pb.AdminServiceClient
	user string
}

// NewAdmin wraps a connection; user is the acting user of mutating calls.
func NewAdmin(conn grpc.ClientConnInterface, user string) *Admin {
	return &Admin{c: pb.NewAdminServiceClient(conn), user: user}
}

// EditFilter selects edit versions; empty fields match all.
type EditFilter struct {
	Status string // DRAFT, ACTIVE or INACTIVE
	Kind   string // e.g. COST_SHARE
	Level  string // PBM, CLIENT, GROUP, PLAN, or e.g. "PLAN PPO-2026"
}

func (c *Admin) ctx(ctx context.Context) context.Context {
	if c.user == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, UserMetadataKey, c.user)
}

func editJSON(e edits.Edit) (string, error) {
	b, err := json.Marshal(e)
	return string(b), err
}

func editsFromProto(list []*pb.EditVersion) ([]edits.Edit, error) {
	out := make([]edits.Edit, 0, len(list))
	for _, p := range list {
		e, err := wire.EditFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// CreateDraft stores e as a new Draft and returns it as stored.
func (c *Admin) CreateDraft(ctx context.Context, e edits.Edit) (edits.Edit, error) {
	doc, err := editJSON(e)
	if err != nil {
		return edits.Edit{}, err
	}
	r, err := c.c.CreateDraft(c.ctx(ctx), &pb.CreateDraftRequest{EditJson: doc})
	if err != nil {
		return edits.Edit{}, err
	}
	return wire.EditFromProto(r.GetEdit())
}

// UpdateDraft replaces a Draft version's content.
func (c *Admin) UpdateDraft(ctx context.Context, e edits.Edit) (edits.Edit, error) {
	doc, err := editJSON(e)
	if err != nil {
		return edits.Edit{}, err
	}
	r, err := c.c.UpdateDraft(c.ctx(ctx), &pb.UpdateDraftRequest{EditJson: doc})
	if err != nil {
		return edits.Edit{}, err
	}
	return wire.EditFromProto(r.GetEdit())
}

// ValidateEdit returns the edit's problems; none means it is valid.
func (c *Admin) ValidateEdit(ctx context.Context, e edits.Edit) ([]edits.Problem, error) {
	ps, _, err := c.CheckEdit(ctx, e)
	return ps, err
}

// CheckEdit returns the edit's problems (none means it is valid) and, for a
// valid edit, its warnings: what it would leave uncovered.
func (c *Admin) CheckEdit(ctx context.Context, e edits.Edit) ([]edits.Problem, []string, error) {
	doc, err := editJSON(e)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.c.ValidateEdit(c.ctx(ctx), &pb.ValidateEditRequest{EditJson: doc})
	if err != nil {
		return nil, nil, err
	}
	if r.GetValid() {
		return nil, r.GetWarnings(), nil
	}
	ps := wire.ProblemsFromProto(r.GetProblems())
	if len(ps) == 0 {
		return nil, nil, errors.New("the service found the edit invalid but named no problem")
	}
	return ps, nil, nil
}

// Activate makes a Draft version Active.
func (c *Admin) Activate(ctx context.Context, id string, version int) (edits.Edit, error) {
	e, _, err := c.ActivateWithWarnings(ctx, id, version)
	return e, err
}

// ActivateWithWarnings makes a Draft version Active and returns its
// warnings too: what the version now active leaves uncovered.
func (c *Admin) ActivateWithWarnings(ctx context.Context, id string, version int) (edits.Edit, []string, error) {
	r, err := c.c.ActivateEdit(c.ctx(ctx), &pb.ActivateEditRequest{Id: id, Version: int32(version)})
	if err != nil {
		return edits.Edit{}, nil, err
	}
	e, err := wire.EditFromProto(r.GetEdit())
	return e, r.GetWarnings(), err
}

// Inactivate retires a version.
func (c *Admin) Inactivate(ctx context.Context, id string, version int) (edits.Edit, error) {
	r, err := c.c.InactivateEdit(c.ctx(ctx), &pb.InactivateEditRequest{Id: id, Version: int32(version)})
	if err != nil {
		return edits.Edit{}, err
	}
	return wire.EditFromProto(r.GetEdit())
}

// Edits lists the edit versions f selects, by ID then version.
func (c *Admin) Edits(ctx context.Context, f EditFilter) ([]edits.Edit, error) {
	r, err := c.c.ListEdits(c.ctx(ctx), &pb.ListEditsRequest{Status: f.Status, Kind: f.Kind, Level: f.Level})
	if err != nil {
		return nil, err
	}
	return editsFromProto(r.GetEdits())
}

// EditVersions returns every version of one edit.
func (c *Admin) EditVersions(ctx context.Context, id string) ([]edits.Edit, error) {
	r, err := c.c.GetEdit(c.ctx(ctx), &pb.GetEditRequest{Id: id})
	if err != nil {
		return nil, err
	}
	return editsFromProto(r.GetVersions())
}

// ExportBundle returns the configuration in force as a YAML bundle.
func (c *Admin) ExportBundle(ctx context.Context) ([]byte, error) {
	r, err := c.c.ExportBundle(c.ctx(ctx), &pb.ExportBundleRequest{})
	if err != nil {
		return nil, err
	}
	return r.GetBundle(), nil
}

// ImportBundle proposes a YAML or JSON bundle for import and returns the
// pending import (its Bundle left out), which another approver must
// approve; a bundle that changes nothing applies at once and comes back
// with an empty ID.
func (c *Admin) ImportBundle(ctx context.Context, bundle []byte) (adjudicator.PendingImport, error) {
	r, err := c.c.ImportBundle(c.ctx(ctx), &pb.ImportBundleRequest{Bundle: bundle})
	if err != nil {
		return adjudicator.PendingImport{}, err
	}
	return adjudicator.PendingImport{ID: r.GetPendingId(), ProposedBy: r.GetProposedBy(), Summary: wire.ImportSummaryFromProto(r)}, nil
}

// ApproveImport applies a pending import and returns what it changed.
func (c *Admin) ApproveImport(ctx context.Context, id string) (adjudicator.ImportSummary, error) {
	r, err := c.c.ApproveImport(c.ctx(ctx), &pb.ApproveImportRequest{Id: id})
	if err != nil {
		return adjudicator.ImportSummary{}, err
	}
	return wire.ImportSummaryFromProto(r.GetSummary()), nil
}

// RejectImport discards a pending import.
func (c *Admin) RejectImport(ctx context.Context, id string) error {
	_, err := c.c.RejectImport(c.ctx(ctx), &pb.RejectImportRequest{Id: id})
	return err
}

// PendingImports lists the imports waiting for approval (their Bundle
// left out).
func (c *Admin) PendingImports(ctx context.Context) ([]adjudicator.PendingImport, error) {
	r, err := c.c.ListImports(c.ctx(ctx), &pb.ListImportsRequest{})
	if err != nil {
		return nil, err
	}
	var out []adjudicator.PendingImport
	for _, p := range r.GetImports() {
		at, _ := time.Parse(time.RFC3339Nano, p.GetProposedAt())
		out = append(out, adjudicator.PendingImport{ID: p.GetId(), ProposedBy: p.GetProposedBy(), ProposedAt: at,
			Summary: wire.ImportSummaryFromProto(p.GetSummary())})
	}
	return out, nil
}

// AuditFilter selects audit entries; empty fields match all.
type AuditFilter struct {
	From, To string // RFC 3339 times, or YYYY-MM-DD dates (To's day included)
	User     string // the entry's subject
	Object   string // e.g. "edit QTY-10", "import 3f2a…", "group GRP100"
	AfterSeq uint64 // paging: entries after this one
	Limit    int    // default 100, at most 1000
}

// Audit reads the audit trail.
func (c *Admin) Audit(ctx context.Context, f AuditFilter) ([]adjudicator.AuditEntry, error) {
	r, err := c.c.ListAudit(c.ctx(ctx), &pb.ListAuditRequest{From: f.From, To: f.To, User: f.User, Object: f.Object,
		AfterSeq: f.AfterSeq, Limit: int32(f.Limit)})
	if err != nil {
		return nil, err
	}
	out := make([]adjudicator.AuditEntry, 0, len(r.GetEntries()))
	for _, p := range r.GetEntries() {
		e, err := wire.AuditEntryFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// TestClaim dry-runs a claim with the given Draft versions as though active.
func (c *Admin) TestClaim(ctx context.Context, cl *adjudicator.Claim, drafts []adjudicator.EditRef) (*adjudicator.Response, error) {
	req := &pb.TestClaimRequest{Claim: wire.ClaimToProto(cl)}
	for _, d := range drafts {
		req.Drafts = append(req.Drafts, &pb.EditRef{Id: d.ID, Version: int32(d.Version)})
	}
	r, err := c.c.TestClaim(c.ctx(ctx), req)
	if err != nil {
		return nil, err
	}
	return wire.ResultFromProto(r.GetResult())
}

// ReplayClaim re-adjudicates a stored claim and compares it with its stored answer.
func (c *Admin) ReplayClaim(ctx context.Context, claimID string) (*adjudicator.Replay, error) {
	r, err := c.c.ReplayClaim(c.ctx(ctx), &pb.ReplayClaimRequest{ClaimId: claimID})
	if err != nil {
		return nil, err
	}
	return wire.ReplayFromProto(r.GetReplay())
}

// ReplayStore replays every stored claim; fn (when not nil) gets each claim
// reported (one that differs or was skipped), up to maxReported.
func (c *Admin) ReplayStore(ctx context.Context, maxReported int, fn func(*adjudicator.Replay) error) (adjudicator.ReplaySummary, error) {
	r, err := c.c.ReplayStore(c.ctx(ctx), &pb.ReplayStoreRequest{MaxReported: int32(maxReported)})
	if err != nil {
		return adjudicator.ReplaySummary{}, err
	}
	sum := adjudicator.ReplaySummary{Claims: int(r.GetClaims()), Same: int(r.GetSame()), Different: int(r.GetDifferent()), Skipped: int(r.GetSkipped())}
	for _, p := range r.GetReported() {
		rp, err := wire.ReplayFromProto(p)
		if err != nil {
			return sum, err
		}
		if fn != nil {
			if err := fn(rp); err != nil {
				return sum, err
			}
		}
	}
	return sum, nil
}

// DryRun re-adjudicates the selected past claims under the drafts,
// writing nothing: fn (when not nil) gets each changed claim as the
// stream brings it; the totals come last.
func (c *Admin) DryRun(ctx context.Context, sel adjudicator.DryRunSelection, drafts []adjudicator.DraftRef,
	fn func(*adjudicator.DryRunChange) error) (*adjudicator.DryRunReport, error) {
	stream, err := c.c.DryRun(c.ctx(ctx), wire.DryRunRequestToProto(sel, drafts))
	if err != nil {
		return nil, err
	}
	for {
		m, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		if t := m.GetTotals(); t != nil {
			return wire.DryRunTotalsFromProto(t)
		}
		ch, err := wire.DryRunChangeFromProto(m.GetChange())
		if err != nil {
			return nil, err
		}
		if fn != nil {
			if err := fn(ch); err != nil {
				return nil, err
			}
		}
	}
}

// Problems returns the validation problems an AdminService error carries, if any.
func Problems(err error) []edits.Problem {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, d := range st.Details() {
		if vp, ok := d.(*pb.ValidationProblems); ok {
			return wire.ProblemsFromProto(vp.GetProblems())
		}
	}
	return nil
}
