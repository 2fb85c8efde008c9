package adjudicator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/shopspring/decimal"
)

// julyPlan is version 2 of the worksheets' PPO plan, from July 1st.
const julyPlan = `plans:
  - id: PPO
    version: 2
    status: ACTIVE
    effective: "2026-07-01"
    name: July
    networks: [{network: RETAIL, classification: IN}]
    formulary: [{class_prefix: "3940", tier: 2}]
    audit: {created_by: alice, activated_by: bob}
networks:
  - id: RETAIL
    type: RETAIL
    pricing:
      - {awp_discount: "0.20", dispensing_fee: "1.50"}
      - {brand_class: GENERIC_MULTI_SOURCE, awp_discount: "0.80", dispensing_fee: "2.00"}
      - {brand_class: GENERIC_SINGLE_SOURCE, awp_discount: "0.80", dispensing_fee: "2.00"}
`

// TestImportPlanVersion: a plan version a bundle brings Active is made by
// the import's proposer and activated by its approver, whatever audit the
// bundle carries; a bundle whose Active versions overlap is refused.
func TestImportPlanVersion(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })

	p, err := e.ProposeImport(ctx, []byte(julyPlan), adjudicator.Actor("mallory"))
	if err != nil || p.Summary.Plans != 1 {
		t.Fatalf("propose: %+v %v", p, err)
	}
	if _, err := e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol")); err != nil {
		t.Fatal(err)
	}
	vs, err := e.PlanVersions("PPO")
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if a := vs[1].Audit; vs[1].Status != edits.Active || a.CreatedBy != "mallory" || a.ActivatedBy != "carol" {
		t.Fatalf("imported version: %+v", vs[1])
	}
	overlapping := `plans:
  - {id: PPO, version: 3, status: ACTIVE, effective: "2026-07-01", name: Again,
     networks: [{network: RETAIL, classification: IN}], formulary: [{class_prefix: "3940", tier: 1}]}
networks:
  - id: RETAIL
    type: RETAIL
    pricing:
      - {awp_discount: "0.20", dispensing_fee: "1.50"}
      - {brand_class: GENERIC_MULTI_SOURCE, awp_discount: "0.80", dispensing_fee: "2.00"}
      - {brand_class: GENERIC_SINGLE_SOURCE, awp_discount: "0.80", dispensing_fee: "2.00"}
`
	if _, err := e.ProposeImport(ctx, []byte(overlapping), adjudicator.Actor("mallory")); err == nil || !strings.Contains(err.Error(), "overlaps active plan PPO v2") {
		t.Fatalf("a bundle with overlapping Active plan versions: %v", err)
	}
}

// TestImportNeverReplacesActiveVersions: an import may add versions or
// replace a Draft, but a different plan or network version under the
// number of an Active or Inactive one here is refused, with nothing
// imported; the same version again changes nothing. The loader's network
// file may not change a network with dated versions either.
func TestImportNeverReplacesActiveVersions(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	retail := func(version int, discount string) string {
		return fmt.Sprintf(`
  - {id: RETAIL, version: %d, effective: "2026-07-01", type: RETAIL, pricing: [{awp_discount: "%s", dispensing_fee: "1.50"}]}`, version, discount)
	}
	importing := func(bundle string) (adjudicator.ImportSummary, error) {
		p, err := e.ProposeImport(ctx, []byte(bundle), adjudicator.Actor("mallory"))
		if err != nil || p.ID == "" { // nothing to change: not pending
			return p.Summary, err
		}
		return e.ApproveImport(ctx, p.ID, adjudicator.Actor("carol"))
	}

	if _, err := importing(julyPlan); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(julyPlan, "name: July", "name: July changed", 1)
	if _, err := importing(changed); !errors.Is(err, edits.ErrConflict) || !strings.Contains(err.Error(), "plan PPO v2 is ACTIVE here") {
		t.Fatalf("an import replacing Active plan PPO v2: %v, want ErrConflict", err)
	}
	if sum, err := importing(julyPlan); err != nil || sum.Plans != 0 {
		t.Fatalf("the same plan version again: %+v %v, want no change", sum, err)
	}

	// Network RETAIL v2 from July 1st; then v2 with other terms is refused,
	// and so is v1 with other terms than it has.
	if sum, err := importing("networks:" + retail(2, "0.22")); err != nil || sum.Networks != 1 {
		t.Fatalf("import of RETAIL v2: %+v %v", sum, err)
	}
	for _, bundle := range []string{"networks:" + retail(2, "0.30"), strings.Replace(julyPlan, `"0.20"`, `"0.25"`, 1)} {
		if _, err := importing(bundle); !errors.Is(err, edits.ErrConflict) || !strings.Contains(err.Error(), "give the imported version a new number") {
			t.Fatalf("an import replacing an Active network version: %v, want ErrConflict", err)
		}
	}
	vs, err := e.NetworkVersions("RETAIL")
	if err != nil || len(vs) != 2 || vs[1].Pricing[0].AWPDiscount.String() != "0.22" || vs[1].Audit.ActivatedBy != "carol" {
		t.Fatalf("RETAIL after the refused imports: %+v %v", vs, err)
	}

	// A Draft here may be replaced by an import.
	draft, err := e.CreateNetworkDraft(ctx, config.Network{Network: vs[1].Network, Dated: config.Dated{Effective: domain.NewDate(2027, 1, 1)}}, adjudicator.Actor("alice"))
	if err != nil || draft.Version != 3 {
		t.Fatalf("draft: %+v %v", draft, err)
	}
	if sum, err := importing("networks:" + strings.Replace(retail(3, "0.25"), "2026-07-01", "2027-01-01", 1)); err != nil || sum.Networks != 1 {
		t.Fatalf("an import replacing Draft RETAIL v3: %+v %v", sum, err)
	}

	// The loader's network file changes only networks without dated versions.
	cat := adjudicator.Catalog{Networks: []domain.Network{vs[0].Network}}
	if err := e.UpsertCatalog(ctx, cat, adjudicator.Actor("loader")); !errors.Is(err, edits.ErrConflict) {
		t.Fatalf("a network file naming a network with dated versions: %v, want ErrConflict", err)
	}
	mail, _ := e.NetworkVersions("MAIL")
	mail[0].Pricing[0].DispensingFee = decimal.RequireFromString("0.75")
	if err := e.UpsertCatalog(ctx, adjudicator.Catalog{Networks: []domain.Network{mail[0].Network}}, adjudicator.Actor("loader")); err != nil {
		t.Fatal(err)
	}
	if mail, _ = e.NetworkVersions("MAIL"); len(mail) != 1 || mail[0].Pricing[0].DispensingFee.StringFixed(2) != "0.75" {
		t.Fatalf("MAIL after the network file: %+v", mail)
	}

	// So does a bundle: an undated network with one version is the
	// bundle's own record, replaced in place (as every bundle did before
	// versions), where RETAIL's v1, beside a dated v2, was refused above.
	mail[0].Pricing[0].DispensingFee = decimal.RequireFromString("0.60")
	mail[0].Audit = edits.Audit{}
	b, err := json.Marshal(map[string]any{"networks": []config.Network{mail[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := importing(string(b)); err != nil || sum.Networks != 1 {
		t.Fatalf("a bundle changing undated MAIL v1: %+v %v, want it replaced", sum, err)
	}
	if mail, _ = e.NetworkVersions("MAIL"); len(mail) != 1 || mail[0].Pricing[0].DispensingFee.StringFixed(2) != "0.60" {
		t.Fatalf("MAIL after the bundle: %+v", mail)
	}
}

// TestVersionIDs: a plan or network draft, and an import bringing a new
// plan or network, must name it with a plain ID (as edits, clients and
// groups do): no control or bidirectional characters, at most 64.
func TestVersionIDs(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(t, ppoConfig(t), t.TempDir(), func() time.Time { return clock })
	mail, err := e.NetworkVersions("MAIL")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"MAIL-NET\x00\u202e", strings.Repeat("X", 65), "RETAIL PREF"} {
		n := config.Network{Network: mail[0].Network}
		n.ID = id
		if _, err := e.CreateNetworkDraft(ctx, n, adjudicator.Actor("alice")); !errors.Is(err, edits.ErrInvalid) || strings.Contains(err.Error(), "\x00") {
			t.Errorf("network draft %q: %v, want ErrInvalid without the raw ID", id, err)
		}
		if _, err := e.CreatePlanDraft(ctx, config.Plan{ID: id}, adjudicator.Actor("alice")); !errors.Is(err, edits.ErrInvalid) {
			t.Errorf("plan draft %q: %v, want ErrInvalid", id, err)
		}
		b, err := json.Marshal(map[string]any{"networks": []config.Network{n}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ProposeImport(ctx, b, adjudicator.Actor("mallory")); !errors.Is(err, edits.ErrInvalid) {
			t.Errorf("import of network %q: %v, want ErrInvalid", id, err)
		}
	}
	if vs, err := e.NetworkVersions("MAIL"); err != nil || len(vs) != 1 {
		t.Fatalf("MAIL after the refusals: %+v %v", vs, err)
	}
}
