package adminctl_test

import (
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/servertest"
)

// retailFees is README's schedule version example: a dispensing fee
// schedule by brand class.
const retailFees = `
id: RETAIL-FEES
name: Retail dispensing fees
kind: RATE
columns: [brand_class]
lines:
- {values: [GENERIC*], amount: "2.50", effective: "2026-01-01"}
- {values: ["*"], amount: "1.75", effective: "2026-01-01"}
`

// TestAdjctlSchedules runs README's schedule version commands against a
// development-mode server on the demo configuration.
func TestAdjctlSchedules(t *testing.T) {
	dir := t.TempDir()
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	v1 := write(t, dir, "fees.yaml", retailFees)
	if out := a.ok("alice", "schedules", "create", v1); !strings.Contains(out, "schedule RETAIL-FEES v1 DRAFT (effective - to -, created by alice)") {
		t.Fatalf("create: %s", out)
	}
	a.fails("PermissionDenied", "alice", "schedules", "activate", "RETAIL-FEES", "1")
	if out := a.ok("bob", "schedules", "activate", "RETAIL-FEES", "1"); !strings.Contains(out, "v1 ACTIVE") || !strings.Contains(out, "activated by bob") {
		t.Fatalf("activate: %s", out)
	}
	v2 := write(t, dir, "fees-2027.yaml", retailFees+"effective: \"2027-01-01\"\n")
	a.ok("alice", "schedules", "create", v2)
	a.ok("bob", "schedules", "activate", "RETAIL-FEES", "2")
	out := a.ok("carol", "schedules", "show", "RETAIL-FEES")
	if !strings.Contains(out, "RETAIL-FEES  2") || !strings.Contains(out, "2027-01-01") || !strings.Contains(out, "RATE") {
		t.Fatalf("show:\n%s", out)
	}
	// A line that is not a money amount, or a kind change, is refused as
	// the draft is written; another version of the same date overlaps.
	a.fails("InvalidArgument", "alice", "schedules", "create", write(t, dir, "bad.yaml", strings.Replace(retailFees, `"2.50"`, `"-2"`, 1)))
	a.fails("InvalidArgument", "alice", "schedules", "create", write(t, dir, "adj.yaml", strings.Replace(retailFees, "kind: RATE", "kind: ADJUSTMENT", 1)))
	a.ok("alice", "schedules", "create", v2)
	a.fails("FailedPrecondition", "bob", "schedules", "activate", "RETAIL-FEES", "3")
	a.fails("NotFound", "carol", "schedules", "show", "NO-SUCH")
	if out := a.ok("bob", "schedules", "inactivate", "RETAIL-FEES", "2"); !strings.Contains(out, "v2 INACTIVE") {
		t.Fatalf("inactivate: %s", out)
	}
	if out := a.ok("carol", "audit", "--object", "schedule RETAIL-FEES"); !strings.Contains(out, "ActivateSchedule") || !strings.Contains(out, "InactivateSchedule") {
		t.Fatalf("audit:\n%s", out)
	}
}
