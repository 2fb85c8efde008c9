package adjudicator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// TestImportNeverReplacesActiveSettings: an import brings settings, client
// and group versions as it brings plan versions. A different version under
// the number of an Active or Inactive one here is refused as a whole; the
// same version again changes nothing; a bundle's own undated version 1
// (the only version of its ID) is replaced in place, as every bundle did
// before settings had versions.
func TestImportNeverReplacesActiveSettings(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	importing := func(bundle string) (adjudicator.ImportSummary, error) {
		p, err := e.ProposeImport(ctx, []byte(bundle), adjudicator.Actor("mallory"))
		if err != nil || p.ID == "" { // nothing to change: not pending
			return p.Summary, err
		}
		return e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol"))
	}
	july := `clients: [{id: ACME, name: Acme Health}]
groups:
- {id: G1, version: 2, effective: "2026-07-01", name: Acme Manufacturing, client_id: ACME, zero_usual_and_customary: IGNORE}
`
	if sum, err := importing(july); err != nil || sum.Groups != 1 {
		t.Fatalf("import of G1 v2: %+v %v", sum, err)
	}
	if sum, err := importing(july); err != nil || sum.Groups != 0 {
		t.Fatalf("the same group version again: %+v %v, want no change", sum, err)
	}
	for _, bundle := range []string{
		strings.Replace(july, "IGNORE", "REJECT", 1),
		// G1's v1 is no longer the only version: no longer the bundle's own.
		"clients: [{id: ACME, name: Acme Health}]\ngroups:\n- {id: G1, name: Acme Manufacturing, client_id: ACME, filing_limit_days: 30}\n",
	} {
		if _, err := importing(bundle); !errors.Is(err, edits.ErrConflict) || !strings.Contains(err.Error(), "give the imported version a new number") {
			t.Fatalf("an import replacing an Active group version: %v, want ErrConflict", err)
		}
	}
	vs, err := e.SettingsVersions(config.LevelGroup, "G1")
	if err != nil || len(vs) != 2 || !strings.Contains(string(vs[1].JSON), "IGNORE") || vs[1].Audit.ActivatedBy != "carol" {
		t.Fatalf("G1 after the refused imports: %+v %v", vs, err)
	}
	// A group version naming another client is refused.
	if _, err := importing("clients: [{id: OTHER}]\ngroups:\n- {id: G1, version: 3, effective: \"2026-09-01\", client_id: OTHER}\n"); err == nil ||
		!strings.Contains(err.Error(), "a group's client never changes") {
		t.Fatalf("a group version moving G1 to another client: %v", err)
	}

	// The PBM's settings and a client's, undated and alone, are the
	// bundle's own: replaced in place, and the summary names the change.
	sum, err := importing("settings: {routes: [{bin: \"610999\", pcn: RXCLAIMS}], filing_limit_days: 90}\nclients: [{id: ACME, name: Acme Health, cob: PRIMARY}]\n")
	if err != nil || sum.Clients != 1 || len(sum.Settings) != 1 || sum.Settings[0] != "filing_limit_days: unset → 90" {
		t.Fatalf("import of the bundle's own settings: %+v %v", sum, err)
	}
	if vs, err := e.SettingsVersions(config.LevelPBM, ""); err != nil || len(vs) != 1 || vs[0].Version != 1 {
		t.Fatalf("PBM settings: %+v %v", vs, err)
	}
}

// TestUndatedSettingsNeedTwoPeople: routes and allow_self_activation come
// from the latest Active version, so a lifecycle step changes them at once.
// One person's inactivation may not change them (it would hand routing or
// maker-checker back to an older version), an activation may not leave the
// PBM without routes, and a group's Draft (or a Draft inactivated) never
// places the group under a client.
func TestUndatedSettingsNeedTwoPeople(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	step := func(on bool, level config.Level, id string, v int, user string) error {
		var err error
		if on {
			_, err = e.ActivateSettings(ctx, level, id, v, adjudicator.Actor(user))
		} else {
			_, err = e.InactivateSettings(ctx, level, id, v, adjudicator.Actor(user))
		}
		return err
	}
	create := func(level config.Level, doc, user string) {
		t.Helper()
		if _, err := e.CreateSettingsDraft(ctx, config.SettingsVersion{Level: level, JSON: []byte(doc)}, adjudicator.Actor(user)); err != nil {
			t.Fatalf("create %s draft %s: %v", level, doc, err)
		}
	}
	// The only PBM version carries the routes: inactivating it would accept
	// every BIN/PCN.
	if err := step(false, config.LevelPBM, "PBM", 1, "bob"); !errors.Is(err, edits.ErrConflict) {
		t.Fatalf("inactivating the PBM's routes: %v, want ErrConflict", err)
	}
	// A version without routes is refused at activation.
	create(config.LevelPBM, `{"effective":"2027-01-01"}`, "alice")
	if err := step(true, config.LevelPBM, "PBM", 2, "bob"); !errors.Is(err, edits.ErrConflict) || !strings.Contains(err.Error(), "610999/RXCLAIMS") {
		t.Fatalf("activating a PBM version without routes: %v, want ErrConflict naming the routes", err)
	}
	if err := step(false, config.LevelPBM, "PBM", 2, "bob"); err != nil {
		t.Fatalf("inactivating a draft: %v", err)
	}
	// Self-activation on (v3), then off (v4), each by two people; one
	// person's inactivation of v4 may not turn it back on.
	create(config.LevelPBM, `{"effective":"2027-01-01","routes":[{"bin":"610999","pcn":"RXCLAIMS"}],"allow_self_activation":true}`, "alice")
	if err := step(true, config.LevelPBM, "PBM", 3, "bob"); err != nil {
		t.Fatal(err)
	}
	create(config.LevelPBM, `{"effective":"2027-06-01","routes":[{"bin":"610999","pcn":"RXCLAIMS"}]}`, "carol")
	if err := step(true, config.LevelPBM, "PBM", 4, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := step(false, config.LevelPBM, "PBM", 4, "alice"); !errors.Is(err, edits.ErrConflict) {
		t.Fatalf("inactivating the version that turned self-activation off: %v, want ErrConflict", err)
	}
	// A Draft group naming a client is not part of the hierarchy, and once
	// inactivated it does not fix the group's client either.
	create(config.LevelClient, `{"id":"CL9","routes":[{"bin":"888888","pcn":"CLI"}]}`, "alice")
	if err := step(true, config.LevelClient, "CL9", 1, "bob"); err != nil {
		t.Fatal(err)
	}
	create(config.LevelGroup, `{"id":"G9","client_id":"CL9"}`, "mallory")
	if err := step(false, config.LevelGroup, "G9", 1, "mallory"); err != nil {
		t.Fatal(err)
	}
	create(config.LevelGroup, `{"id":"G9","client_id":"ACME"}`, "alice")
	if err := step(true, config.LevelGroup, "G9", 2, "bob"); err != nil {
		t.Fatalf("a group whose only other version was a draft, under another client: %v", err)
	}
	if err := step(false, config.LevelClient, "CL9", 1, "bob"); !errors.Is(err, edits.ErrConflict) {
		t.Fatalf("inactivating the only version of a client with routes: %v, want ErrConflict", err)
	}
}

// TestImportSettingsDraft: an import bringing only a Draft PBM settings
// version is a change: proposed, approved, stored and audited.
func TestImportSettingsDraft(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	bundle := "settings:\n- version: 5\n  status: DRAFT\n  effective: \"2030-01-01\"\n  routes: [{bin: \"610999\", pcn: RXCLAIMS}]\n  filing_limit_days: 30\n"
	p, err := e.ProposeImport(ctx, []byte(bundle), adjudicator.Actor("mallory"))
	if err != nil || p.ID == "" || len(p.Summary.Settings) == 0 {
		t.Fatalf("proposing a PBM settings draft: %+v %v, want a pending import", p, err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	vs, err := e.SettingsVersions(config.LevelPBM, config.PBMID)
	if err != nil || len(vs) != 2 || vs[1].Version != 5 || vs[1].Status != edits.Draft {
		t.Fatalf("PBM versions after the import: %+v %v", vs, err)
	}
	// A second draft beside v5 is refused, as CreateSettingsDraft refuses
	// it; v5 itself may be replaced.
	second := strings.Replace(bundle, "version: 5", "version: 6", 1)
	if _, err := e.ProposeImport(ctx, []byte(second), adjudicator.Actor("mallory")); !errors.Is(err, edits.ErrConflict) ||
		!strings.Contains(err.Error(), "settings PBM v5, settings PBM v6") {
		t.Errorf("importing a second draft: %v, want ErrConflict naming both", err)
	}
	if _, err := e.CreateSettingsDraft(ctx, config.SettingsVersion{Level: config.LevelPBM, JSON: []byte(`{"filing_limit_days":60}`)},
		adjudicator.Actor("alice")); !errors.Is(err, edits.ErrConflict) {
		t.Errorf("creating a second draft: %v, want ErrConflict", err)
	}
	again := strings.Replace(bundle, "filing_limit_days: 30", "filing_limit_days: 45", 1)
	if p, err = e.ProposeImport(ctx, []byte(again), adjudicator.Actor("mallory")); err != nil {
		t.Fatalf("importing draft v5 again: %v", err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	if vs, err = e.SettingsVersions(config.LevelPBM, config.PBMID); err != nil || len(vs) != 2 || !strings.Contains(string(vs[1].JSON), `"filing_limit_days":45`) {
		t.Fatalf("PBM versions after importing v5 again: %+v %v", vs, err)
	}
}

// TestSettingsRefusals: a negative version in a draft and an ID no record
// can have are refused as invalid, not ignored or looked up.
func TestSettingsRefusals(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	if _, err := e.CreateSettingsDraft(ctx, config.SettingsVersion{Level: config.LevelGroup, JSON: []byte(`{"id":"G1","client_id":"ACME","version":-5}`)},
		adjudicator.Actor("alice")); !errors.Is(err, edits.ErrInvalid) {
		t.Errorf("a draft with version -5: %v, want ErrInvalid", err)
	}
	long := strings.Repeat("é", 5000)
	if _, err := e.SettingsVersions(config.LevelClient, long); !errors.Is(err, edits.ErrInvalid) || strings.Contains(err.Error(), "é") {
		t.Errorf("versions of a 10 KB id: %v, want ErrInvalid without the id", err)
	}
	if _, err := e.ActivateSettings(ctx, config.LevelGroup, long, 1, adjudicator.Actor("bob")); !errors.Is(err, edits.ErrInvalid) {
		t.Errorf("activating a 10 KB id: %v, want ErrInvalid", err)
	}
}

// TestImportEditDraft: an import that would leave an edit with two Draft
// versions is refused, as CreateDraft refuses a second draft; the draft
// itself may be replaced under its number.
func TestImportEditDraft(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	bundle := "edits:\n- id: QTY-IMP\n  version: 1\n  status: DRAFT\n  kind: QUANTITY\n  level: {kind: PBM}\n  effective: \"2026-01-01\"\n  quantity: {max_quantity: \"30\"}\n"
	p, err := e.ProposeImport(ctx, []byte(bundle), adjudicator.Actor("mallory"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	second := strings.Replace(bundle, "version: 1", "version: 2", 1)
	if _, err := e.ProposeImport(ctx, []byte(second), adjudicator.Actor("mallory")); !errors.Is(err, edits.ErrConflict) ||
		!strings.Contains(err.Error(), "QTY-IMP v1, QTY-IMP v2") {
		t.Errorf("importing a second draft: %v, want ErrConflict naming both", err)
	}
	again := strings.Replace(bundle, `max_quantity: "30"`, `max_quantity: "40"`, 1)
	if _, err := e.ProposeImport(ctx, []byte(again), adjudicator.Actor("mallory")); err != nil {
		t.Errorf("importing draft v1 again: %v", err)
	}
}
