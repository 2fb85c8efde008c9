package adjudicator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/scenario"
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
