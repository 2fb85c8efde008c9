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
