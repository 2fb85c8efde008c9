package parse

import (
	"strings"
	"testing"
)

// TestProfilesErrors: unknown fields are errors, and errors give the line
// and column.
func TestProfilesErrors(t *testing.T) {
	_, err := ParseProfiles([]byte("groups:\n- id: G\n  comparatr: true\n"))
	if err == nil || !strings.Contains(err.Error(), "[3:3]") || !strings.Contains(err.Error(), `unknown field "comparatr"`) {
		t.Fatalf("got %v", err)
	}
}

// deepInputs are documents the YAML library once took seconds to minutes
// on (its parser is quadratic in nesting depth): each is refused before
// it parses.
var deepInputs = map[string]string{
	"flow sequences": "groups: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	"flow mappings":  "groups: " + strings.Repeat("{a: ", 10000) + "1" + strings.Repeat("}", 10000),
	"block entries":  "groups:\n" + strings.Repeat("- ", 10000) + "x\n",
	"indentation": func() string {
		var b strings.Builder
		b.WriteString("groups:\n")
		for i := range 500 {
			b.WriteString(strings.Repeat(" ", i+1) + "a:\n")
		}
		return b.String()
	}(),
}

// TestProfilesBounds: a document nested too deeply, with too many aliases
// or too large is refused with a reason; the example file is well inside.
func TestProfilesBounds(t *testing.T) {
	for name, in := range deepInputs {
		if _, err := ParseProfiles([]byte(in)); err == nil || !strings.Contains(err.Error(), "nested more than 64 levels") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	aliases := "groups:\n- id: A\n  plans: &p [X]\n" + strings.Repeat("- {id: B, plans: *p}\n", 65)
	if _, err := ParseProfiles([]byte(aliases)); err == nil || !strings.Contains(err.Error(), "more than 64 aliases") {
		t.Errorf("aliases: got %v", err)
	}
	big := "groups: []\n" + strings.Repeat("# padding\n", maxProfilesBytes/10)
	if _, err := ParseProfiles([]byte(big)); err == nil || !strings.Contains(err.Error(), "more than the 1048576") {
		t.Errorf("size: got %v", err)
	}
	nested := "groups:\n- id: A\n  classes:\n  - name: C\n    plan: P\n    when:\n    - {field: hours_worked, op: '>=', value: '30'}\n"
	if _, err := ParseProfiles([]byte(nested)); err != nil {
		t.Errorf("a real nesting: %v", err)
	}
}
