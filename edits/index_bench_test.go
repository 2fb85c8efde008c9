package edits_test

import (
	"fmt"
	"testing"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// BenchmarkSelect measures the edit lookup of one claim with 10 and with
// 10,000 Active edits at the claim's plan; the index keeps the cost flat.
//
//	go test ./edits -run '^$' -bench Select
func BenchmarkSelect(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("edits=%d", n), func(b *testing.B) {
			from := domain.MustDate("2026-01-01")
			all := append(edits.Synthetic("PPO", n, from), defaults(from)...)
			x := edits.Compile(all)
			levels := []edits.Level{{Kind: edits.PlanLevel, ID: "PPO"}, {Kind: edits.GroupLevel, ID: "G1"}, {Kind: edits.ClientLevel, ID: "ACME"}, {Kind: edits.PBMLevel}}
			f := &edits.Facts{DateOfService: domain.MustDate("2026-06-01"), NDC: "00093505698", Class: "39400010",
				BrandClass: domain.GenericMultiSource, Segment: domain.Segment{Type: domain.Retail, Class: domain.InNetwork}, Age: 40, Gender: "F"}
			b.ResetTimer()
			for b.Loop() {
				var s edits.Selection
				x.Select(levels, f, &s)
				if s.Winner(edits.KindDeductible) == nil {
					b.Fatal("no deductible selected")
				}
			}
		})
	}
}

func defaults(from domain.Date) []edits.Edit {
	return []edits.Edit{{ID: "PPO.deductible", Version: 1, Status: edits.Active, Kind: edits.KindDeductible,
		Level: edits.Level{Kind: edits.PlanLevel, ID: "PPO"}, Range: domain.Range{From: from},
		Limit: &edits.Limit{Individual: decimalOf("100.00")}}}
}

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }
