package config_test

import (
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/config"
)

// TestSettingsForms: a bundle's settings are one mapping (version 1), a
// list of versions, or an empty mapping (none); unknown fields are errors
// in either form, and each version's number, status and dates are checked
// at its path.
func TestSettingsForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"settings: {filing_limit_days: 30}\n", 1},
		{"settings:\n- {filing_limit_days: 30}\n- {version: 2, effective: \"2026-07-01\", filing_limit_days: 60}\n", 2},
		{"settings: {}\n", 0},
	} {
		cfg, err := config.Parse([]byte(c.in))
		if err != nil || len(cfg.Settings) != c.want {
			t.Fatalf("%q: %d versions, %v; want %d", c.in, len(cfg.Settings), err, c.want)
		}
	}
	for _, in := range []string{"settings: {filing_limit: 30}\n", "settings: [{filing_limit: 30}]\n"} {
		if _, err := config.Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), "filing_limit") {
			t.Fatalf("%q: %v, want the unknown field", in, err)
		}
	}
	cfg, err := config.Parse([]byte("clients: [{id: A, version: -1, effective: \"2026-02-01\", termination: \"2026-01-01\"}]\n" +
		"settings: [{status: NOPE}, {version: 2, effective: \"2026-01-01\"}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = config.ValidateHierarchy(cfg)
	for _, want := range []string{`settings[0].status: status "NOPE"`, "clients[0].version: version -1", "clients[0].termination: termination 2026-01-01 is before"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}
