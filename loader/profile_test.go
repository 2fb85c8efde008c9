package loader

import (
	"strings"
	"testing"
)

// TestExampleProfiles: the sample file the README points to parses and
// resolves.
func TestExampleProfiles(t *testing.T) {
	p, err := LoadProfiles("examples/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve("GRP100-EAST")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pend) != 0 || !r.SelfApprove || len(r.Classes) != 3 || !r.CancelMissing {
		t.Fatalf("GRP100-EAST resolved to %+v", r)
	}
}

// TestProfilesErrors: unknown fields are errors, and errors give the line
// and column.
func TestProfilesErrors(t *testing.T) {
	_, err := ParseProfiles([]byte("groups:\n- id: G\n  comparatr: true\n"))
	if err == nil || !strings.Contains(err.Error(), "[3:3]") || !strings.Contains(err.Error(), `unknown field "comparatr"`) {
		t.Fatalf("got %v", err)
	}
}
