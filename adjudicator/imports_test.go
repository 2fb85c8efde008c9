package adjudicator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

const ageBundle = `edits:
  - {id: AGE-64, version: 1, status: ACTIVE, kind: AGE, level: {kind: PBM}, effective: "2026-01-01", age: {max: 64},
     audit: {created_by: alice, activated_by: bob}}
`

// TestImportLifecycle: a proposal changes nothing until approved by
// someone else; a rejected import cannot be approved; the same bundle
// proposed twice is one pending import; every step is in the trail.
func TestImportLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, st := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })

	p, err := e.ProposeImport(ctx, []byte(ageBundle), adjudicator.Actor("mallory"))
	if err != nil || p.ID == "" || p.Summary.EditsActivated != 1 {
		t.Fatalf("propose: %+v %v", p, err)
	}
	if again, err := e.ProposeImport(ctx, []byte(ageBundle), adjudicator.Actor("eve")); err != nil || again.ID != p.ID || again.ProposedBy != "mallory" {
		t.Fatalf("the same bundle proposed again: %+v %v", again, err)
	}
	if _, err := e.EditVersions("AGE-64"); !errors.Is(err, edits.ErrNotFound) {
		t.Fatalf("a pending import changed the edits: %v", err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("mallory")); !errors.Is(err, edits.ErrMakerChecker) {
		t.Fatalf("self-approval: %v, want ErrMakerChecker", err)
	}
	if err := e.RejectImport(ctx, p.ID, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol")); !errors.Is(err, adjudicator.ErrNotFound) {
		t.Fatalf("approving a rejected import: %v, want ErrNotFound", err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, nil); !errors.Is(err, adjudicator.ErrInvalid) {
		t.Fatalf("approving as nobody: %v, want ErrInvalid", err)
	}

	p, _ = e.ProposeImport(ctx, []byte(ageBundle), adjudicator.Actor("mallory"))
	sum, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol"))
	if err != nil || sum.EditsActivated != 1 {
		t.Fatalf("approve: %+v %v", sum, err)
	}
	vs, _ := e.EditVersions("AGE-64")
	if a := vs[0].Audit; vs[0].Status != edits.Active || a.CreatedBy != "mallory" || a.ActivatedBy != "carol" || vs[0].Provenance.CreatedBy != "alice" {
		t.Fatalf("imported: %+v", vs[0])
	}
	if pending, err := e.PendingImports(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending after approval: %+v %v", pending, err)
	}
	trail, err := st.ReadAudit(ctx, adjudicator.AuditQuery{Object: adjudicator.ImportObject(p.ID)})
	if err != nil || len(trail) != 4 { // proposed, rejected, proposed, approved
		t.Fatalf("trail: %+v %v", trail, err)
	}
}
