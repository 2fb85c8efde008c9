package adminctl_test

import (
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/servertest"
)

// retailPref2027 is README's network version example: the demo's preferred
// retail network with 2027 terms.
const retailPref2027 = `
id: RETAIL-PREF
type: RETAIL
effective: "2027-01-01"
pricing:
- {awp_discount: "0.18", dispensing_fee: "1.25"}
- {brand_class: GENERIC_MULTI_SOURCE, awp_discount: "0.81", dispensing_fee: "1.75"}
- {brand_class: GENERIC_SINGLE_SOURCE, awp_discount: "0.81", dispensing_fee: "1.75"}
`

// TestAdjctlNetworks runs README's network version commands against a
// development-mode server on the demo configuration.
func TestAdjctlNetworks(t *testing.T) {
	dir := t.TempDir()
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	file := write(t, dir, "retail-2027.yaml", retailPref2027)

	if out := a.ok("alice", "networks", "create", file); !strings.Contains(out, "network RETAIL-PREF v2 DRAFT (effective 2027-01-01 to -, created by alice)") {
		t.Fatalf("create: %s", out)
	}
	a.fails("PermissionDenied", "alice", "networks", "activate", "RETAIL-PREF", "2")
	if out := a.ok("bob", "networks", "activate", "RETAIL-PREF", "2"); !strings.Contains(out, "v2 ACTIVE") || !strings.Contains(out, "activated by bob") {
		t.Fatalf("activate: %s", out)
	}
	out := a.ok("carol", "networks", "show", "RETAIL-PREF")
	if !strings.Contains(out, "RETAIL-PREF  1") || !strings.Contains(out, "2027-01-01") || !strings.Contains(out, "bob") {
		t.Fatalf("show:\n%s", out)
	}
	// Terms out of range are refused as the draft is written.
	a.fails("InvalidArgument", "alice", "networks", "create", write(t, dir, "bad.yaml", strings.Replace(retailPref2027, `"0.18"`, `"1.50"`, 1)))
	// Another version of the same date overlaps the Active one.
	a.ok("alice", "networks", "create", file)
	a.fails("FailedPrecondition", "bob", "networks", "activate", "RETAIL-PREF", "3")
	a.fails("NotFound", "carol", "networks", "show", "NO-SUCH")
	if out := a.ok("bob", "networks", "inactivate", "RETAIL-PREF", "2"); !strings.Contains(out, "v2 INACTIVE") {
		t.Fatalf("inactivate: %s", out)
	}
	if out := a.ok("carol", "audit", "--object", "network RETAIL-PREF"); !strings.Contains(out, "ActivateNetwork") || !strings.Contains(out, "InactivateNetwork") {
		t.Fatalf("audit:\n%s", out)
	}
}
