package adjudicator

import (
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// TestUncoveredDays: the days-supply ranges no line covers, from the band
// edges of the lines.
func TestUncoveredDays(t *testing.T) {
	w := &edits.Compiled{Edit: &edits.Edit{CostShare: []edits.CostShareLine{
		{Tiers: []int{1}, MaxDays: 34, Kind: edits.Copay},
		{Tiers: []int{1}, MinDays: 84, MaxDays: 90, Kind: edits.Copay},
		{Tiers: []int{2}, MinDays: 10, Kind: edits.Copay},
	}}}
	seg := domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	for tier, want := range map[int][][2]int{
		1: {{35, 83}, {91, 365}},
		2: {{1, 9}},
		3: {{1, 365}},
	} {
		got := uncoveredDays(w, edits.CostShareFacts{Tier: tier, BrandClass: domain.GenericMultiSource, Segment: seg})
		if !slices.Equal(got, want) {
			t.Errorf("tier %d: uncovered %v, want %v", tier, got, want)
		}
	}
	if got := uncoveredDays(nil, edits.CostShareFacts{Tier: 1}); !slices.Equal(got, [][2]int{{1, 365}}) {
		t.Errorf("no edit: uncovered %v", got)
	}
}
