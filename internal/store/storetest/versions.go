package storetest

import (
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
)

// testConfigVersions: every configuration version written is kept, found
// by number after a restart, and the latest is the highest number.
func testConfigVersions(t *testing.T, open Open) {
	s, reopen := open(t)
	if v, err := s.LatestConfigVersion(ctx); err != nil || v != nil {
		t.Fatalf("LatestConfigVersion of an empty store = %v, %v; want nil, nil", v, err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for n := uint64(1); n <= 3; n++ {
		cfg := &config.Config{Plans: []config.Plan{{ID: "PLAN-" + string(rune('A'+n-1))}}}
		v := &adjudicator.ConfigVersion{Number: n, At: at.Add(time.Duration(n) * time.Hour), Config: cfg}
		if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	s = reopen()
	latest, err := s.LatestConfigVersion(ctx)
	if err != nil || latest == nil || latest.Number != 3 {
		t.Fatalf("LatestConfigVersion = %+v, %v; want version 3", latest, err)
	}
	v2, err := s.ConfigVersion(ctx, 2)
	if err != nil || v2 == nil {
		t.Fatalf("ConfigVersion(2) = %v, %v", v2, err)
	}
	SameJSON(t, "version 2", v2, &adjudicator.ConfigVersion{Number: 2, At: at.Add(2 * time.Hour),
		Config: &config.Config{Plans: []config.Plan{{ID: "PLAN-B"}}}})
	if v, err := s.ConfigVersion(ctx, 9); err != nil || v != nil {
		t.Errorf("ConfigVersion(9) = %v, %v; want nil, nil", v, err)
	}
}

// testForEachClaimInIDOrder: ForEachClaim lists every record, reversed
// ones too, in claim ID order whatever the order of the commits.
func testForEachClaimInIDOrder(t *testing.T, open Open) {
	s, _ := open(t)
	b, a, c := Record("00000000000b", "2", "SMITH01"), Record("00000000000a", "1", "SMITH01"), Record("00000000000c", "3", "JONES01")
	for _, r := range []*adjudicator.ClaimRecord{b, a, c} {
		commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r})
	}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{reversed(a)}})
	var ids []string
	if err := s.ForEachClaim(func(r *adjudicator.ClaimRecord) error { ids = append(ids, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "ForEachClaim order", ids, []string{a.ID, b.ID, c.ID})
}
