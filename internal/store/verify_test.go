package store

import (
	"context"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/storetest"
	"github.com/shopspring/decimal"
)

// TestVerify commits claims and documents directly and checks that Verify
// accepts a consistent store and names each kind of inconsistency.
func TestVerify(t *testing.T) {
	seg := domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	period := storetest.Period
	ded := accumulators.Bucket{Kind: accumulators.Deductible, Segment: seg}
	claim := func(id, rx string, amount string) *adjudicator.ClaimRecord {
		r := storetest.Record(id, rx, "SMITH01")
		r.Contributions = []accumulators.Contribution{{Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: seg, Amount: decimal.RequireFromString(amount)}}
		return r
	}
	doc := func(amount string) []adjudicator.DocWrite {
		d := &accumulators.Doc{}
		d.Add(ded, decimal.RequireFromString(amount))
		return []adjudicator.DocWrite{{Scope: accumulators.Member, ID: adjudicator.MemberID("SMITH01", "001"), Period: period, Doc: d}}
	}
	for _, tc := range []struct {
		name    string
		commits []*adjudicator.Commit
		want    string // a problem's text, or "" for none
	}{
		{"consistent", []*adjudicator.Commit{
			{Records: []*adjudicator.ClaimRecord{claim("a", "1", "10.00")}, Index: claim("a", "1", "10.00"), Docs: doc("10.00")},
			{Records: []*adjudicator.ClaimRecord{claim("b", "2", "5.50")}, Index: claim("b", "2", "5.50"), Docs: doc("15.50")},
		}, ""},
		{"balance off by a cent", []*adjudicator.Commit{
			{Records: []*adjudicator.ClaimRecord{claim("a", "1", "10.00")}, Index: claim("a", "1", "10.00"), Docs: doc("10.01")},
		}, "stored 10.01, claims sum to 10"},
		{"balance with no claims", []*adjudicator.Commit{{Docs: doc("3.00")}}, "claims sum to 0"},
		{"two paid claims on one key", []*adjudicator.Commit{
			{Records: []*adjudicator.ClaimRecord{claim("a", "1", "1.00"), claim("b", "1", "1.00")}, Index: claim("b", "1", "1.00"), Docs: doc("2.00")},
		}, "has 2 paid claims"},
		{"index points elsewhere", []*adjudicator.Commit{
			{Records: []*adjudicator.ClaimRecord{claim("a", "1", "1.00")}, Index: claim("zzz", "1", "1.00"), Docs: doc("1.00")},
		}, `index points at "zzz"`},
		{"claims but no document", []*adjudicator.Commit{
			{Records: []*adjudicator.ClaimRecord{claim("a", "1", "1.00")}, Index: claim("a", "1", "1.00")},
		}, "no document is stored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, c := range tc.commits {
				if err := s.Commit(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := s.Verify()
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(rep.Problems, "\n")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", got, tc.want)
			}
		})
	}
}
