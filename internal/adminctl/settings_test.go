package adminctl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/servertest"
)

// TestAdjctlSettings runs README's settings version commands against a
// development-mode server on the demo configuration.
func TestAdjctlSettings(t *testing.T) {
	dir := t.TempDir()
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	pbm2027 := fmt.Sprintf("effective: \"2027-01-01\"\nroutes: [{bin: %q, pcn: %q}]\nfiling_limit_days: 180\n", demo.BIN, demo.PCN)
	file := write(t, dir, "pbm-2027.yaml", pbm2027)

	if out := a.ok("alice", "settings", "create", "pbm", file); !strings.Contains(out, "settings PBM v2 DRAFT (effective 2027-01-01 to -, created by alice)") {
		t.Fatalf("create: %s", out)
	}
	a.fails("PermissionDenied", "alice", "settings", "activate", "pbm", "PBM", "2")
	if out := a.ok("bob", "settings", "activate", "pbm", "PBM", "2"); !strings.Contains(out, "v2 ACTIVE") || !strings.Contains(out, "activated by bob") {
		t.Fatalf("activate: %s", out)
	}
	out := a.ok("carol", "settings", "show", "pbm", "PBM")
	if !strings.Contains(out, "configuration") || !strings.Contains(out, "2027-01-01") || !strings.Contains(out, "bob") {
		t.Fatalf("show:\n%s", out)
	}
	// A setting out of range is refused as the draft is written.
	a.fails("InvalidArgument", "alice", "settings", "create", "pbm", write(t, dir, "bad.yaml", strings.Replace(pbm2027, "180", "-1", 1)))
	// Another version of the same date overlaps the Active one.
	a.ok("alice", "settings", "create", "pbm", file)
	a.fails("FailedPrecondition", "bob", "settings", "activate", "pbm", "PBM", "3")
	a.fails("NotFound", "carol", "settings", "show", "group", "NO-SUCH")
	if out := a.ok("bob", "settings", "inactivate", "pbm", "PBM", "3"); !strings.Contains(out, "v3 INACTIVE") {
		t.Fatalf("inactivate: %s", out)
	}
	if out := a.ok("carol", "audit", "--object", "settings PBM"); !strings.Contains(out, "ActivateSettings") || !strings.Contains(out, "InactivateSettings") {
		t.Fatalf("audit:\n%s", out)
	}
}
