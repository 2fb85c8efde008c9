package adminctl_test

import (
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/servertest"
)

// ppo2027 is README's plan version example: the demo plan's 2027 formulary.
const ppo2027 = `
id: PPO-2026
name: PPO, 2027 formulary
effective: "2027-01-01"
networks:
- {network: RETAIL-PREF, classification: IN}
- {network: MAIL-NET, classification: IN}
formulary:
- {class_prefix: "3940", tier: 1}
- {ndc: "00071015523", tier: 3}
`

// TestAdjctlPlans runs README's plan version commands against a
// development-mode server on the demo configuration.
func TestAdjctlPlans(t *testing.T) {
	dir := t.TempDir()
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	file := write(t, dir, "ppo-2027.yaml", ppo2027)

	if out := a.ok("alice", "plans", "create", file); !strings.Contains(out, "plan PPO-2026 v2 DRAFT (effective 2027-01-01 to -, created by alice)") {
		t.Fatalf("create: %s", out)
	}
	a.fails("PermissionDenied", "alice", "plans", "activate", "PPO-2026", "2")
	if out := a.ok("bob", "plans", "activate", "PPO-2026", "2"); !strings.Contains(out, "v2 ACTIVE") || !strings.Contains(out, "activated by bob") {
		t.Fatalf("activate: %s", out)
	}
	out := a.ok("carol", "plans", "show", "PPO-2026")
	if !strings.Contains(out, "PPO-2026  1") || !strings.Contains(out, "2027-01-01") || !strings.Contains(out, "bob") {
		t.Fatalf("show:\n%s", out)
	}
	// Another version of the same date overlaps the Active one.
	write(t, dir, "ppo-2027.yaml", strings.Replace(ppo2027, "2027 formulary", "2027 again", 1))
	a.ok("alice", "plans", "create", file)
	a.fails("FailedPrecondition", "bob", "plans", "activate", "PPO-2026", "3")
	a.fails("InvalidArgument", "alice", "plans", "create", write(t, dir, "bad.yaml", ppo2027+"cost_share: [{kind: COPAY, amount: \"5.00\"}]\n"))
	if out := a.ok("bob", "plans", "inactivate", "PPO-2026", "2"); !strings.Contains(out, "v2 INACTIVE") {
		t.Fatalf("inactivate: %s", out)
	}
	if out := a.ok("carol", "audit", "--object", "plan PPO-2026"); !strings.Contains(out, "ActivatePlan") || !strings.Contains(out, "InactivatePlan") {
		t.Fatalf("audit:\n%s", out)
	}
}
