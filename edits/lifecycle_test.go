package edits_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

func TestSelfActivationIsAudited(t *testing.T) {
	b, err := edits.NewBook(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	e := edits.Edit{ID: "AGE", Kind: edits.KindAge, Level: edits.Level{Kind: edits.PBMLevel},
		Range: domain.Range{From: domain.MustDate("2026-01-01")}, Age: &edits.AgeLimit{Max: 64}}
	d, err := b.CreateDraft(e, "alice", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Activate(d.ID, d.Version, "alice", now, false); !errors.Is(err, edits.ErrMakerChecker) {
		t.Fatalf("self-activation under strict maker-checker: %v, want ErrMakerChecker", err)
	}
	a, err := b.Activate(d.ID, d.Version, "alice", now, true)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Audit.SelfActivated || a.Audit.ActivatedBy != "alice" || !a.Audit.ActivatedAt.Equal(now) {
		t.Errorf("audit = %+v, want a self-activation by alice at %s", a.Audit, now)
	}
	v2, err := b.CreateDraft(e, "carol", now)
	if err != nil || v2.Version != 2 {
		t.Fatalf("new version: %+v, %v", v2, err)
	}
	if got, _ := b.Activate(v2.ID, v2.Version, "bob", now, false); got.Audit.SelfActivated {
		t.Error("activation by another user marked as self-activation")
	}
}

// TestImportKeepsProvenance: the audit a bundle carries (created by alice,
// activated by bob) is the exporting environment's account; here the
// version is made by the importer and activated by the approver.
func TestImportKeepsProvenance(t *testing.T) {
	b, err := edits.NewBook(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	forged := edits.Edit{ID: "AGE", Version: 1, Status: edits.Active, Kind: edits.KindAge, Level: edits.Level{Kind: edits.PBMLevel},
		Range: domain.Range{From: domain.MustDate("2026-01-01")}, Age: &edits.AgeLimit{Max: 64},
		Audit: edits.Audit{CreatedBy: "alice", ActivatedBy: "bob"}}
	if _, err := b.Import(forged, "", "carol", now); !errors.Is(err, edits.ErrInvalid) {
		t.Fatalf("import without a maker: %v, want ErrInvalid", err)
	}
	changed, err := b.Import(forged, "mallory", "carol", now)
	if err != nil || !changed {
		t.Fatalf("import: %v %v", changed, err)
	}
	got, _ := b.Get("AGE", 1)
	want := edits.Audit{CreatedBy: "mallory", CreatedAt: now, ImportedBy: "mallory", ImportedAt: now, ActivatedBy: "carol", ActivatedAt: now}
	if got.Audit != want {
		t.Errorf("audit = %+v, want %+v", got.Audit, want)
	}
	if got.Provenance == nil || got.Provenance.CreatedBy != "alice" || got.Provenance.ActivatedBy != "bob" {
		t.Errorf("provenance = %+v, want the bundle's audit", got.Provenance)
	}
	// The same content again, whatever audit it claims, changes nothing.
	forged.Audit = edits.Audit{CreatedBy: "eve"}
	if changed, err := b.Import(forged, "mallory", "carol", now.Add(time.Hour)); err != nil || changed {
		t.Fatalf("second import: %v %v", changed, err)
	}
	forged.Age = &edits.AgeLimit{Max: 70}
	if _, err := b.Import(forged, "mallory", "carol", now); !errors.Is(err, edits.ErrConflict) {
		t.Fatalf("import changing an Active version: %v, want ErrConflict", err)
	}
}
