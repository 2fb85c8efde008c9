package config_test

import (
	"strings"
	"testing"
	"time"

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

// TestSettingsDraftProblems: a draft's problems are reported by the
// version its document is, at paths within the document, not at the index
// the configuration keeps it under.
func TestSettingsDraftProblems(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		level     config.Level
		doc, want string
	}{
		{config.LevelPBM, `{"effective": "2027-01-01", "termination": "2026-12-01"}`, "settings PBM v3: termination: termination 2026-12-01 is before"},
		{config.LevelPBM, `{"effective": "2027-01-01", "routes": [{"bin": "61"}]}`, "settings PBM v3: routes[0]"},
		{config.LevelClient, `{"id": "ACME", "effective": "2027-01-01", "termination": "2026-12-01"}`, "client ACME v1: termination: termination 2026-12-01 is before"},
		{config.LevelGroup, `{"id": "G1", "client_id": "NOPE", "effective": "2027-01-01"}`, `group G1: client "NOPE" is not configured`},
	} {
		// A failed change leaves its draft behind: the engine drops the
		// changed copy. Each case starts again.
		cfg, err := config.Parse([]byte("settings:\n- {filing_limit_days: 30}\n- {version: 2, effective: \"2026-07-01\", filing_limit_days: 60}\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.CreateSettingsDraft(c.level, []byte(c.doc), "alice", now)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "[1]") || strings.Contains(err.Error(), "[2]") {
			t.Errorf("%s draft %s: %v, want %q", c.level, c.doc, err, c.want)
		}
	}
}
