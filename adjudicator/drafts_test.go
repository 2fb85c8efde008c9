package adjudicator

import (
	"testing"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// TestGroupDraftDates: a group draft can change answers from its effective
// date when the group is in the hierarchy already; a group's first Active
// version puts the group, and its client's edits and settings, under its
// claims on every date (the hierarchy is undated), so the dry run may
// share no baseline outcome.
func TestGroupDraftDates(t *testing.T) {
	fresh := func() *config.Config {
		return &config.Config{
			Clients: []config.Client{{ID: "ACME", Dated: config.Dated{Version: 1, Status: edits.Active}}},
			Groups: []config.Group{
				{ID: "G1", ClientID: "ACME", Dated: config.Dated{Version: 1, Status: edits.Active}},
				{ID: "G1", ClientID: "ACME", Dated: config.Dated{Version: 2, Status: edits.Draft, Effective: domain.MustDate("2026-09-01")}},
				{ID: "G9", ClientID: "ACME", Dated: config.Dated{Version: 1, Status: edits.Draft, Effective: domain.MustDate("2026-10-01")}},
			},
		}
	}
	for _, c := range []struct {
		id   string
		v    int
		want domain.Date
	}{
		{"G1", 2, domain.MustDate("2026-09-01")},
		{"G9", 1, domain.Date{}},
	} {
		got, err := draftKinds[DraftGroup](fresh(), c.id, c.v, "carol")
		if err != nil {
			t.Fatalf("group %s v%d: %v", c.id, c.v, err)
		}
		if got != c.want {
			t.Errorf("group %s v%d changes answers from %v, want %v (zero: every date)", c.id, c.v, got, c.want)
		}
	}
}
