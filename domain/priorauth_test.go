package domain

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// TestPriorAuthBounds: a PA's free text, class prefix, quantities and
// counts are bounded (a claim record may keep the PA), and the message
// names the PA's number and field, never the member.
func TestPriorAuthBounds(t *testing.T) {
	ok := func() PriorAuth {
		return PriorAuth{CardholderID: "C1", PersonCode: "001", Number: "QL1", Type: PAQuantity,
			DrugRef: DrugRef{ClassPrefix: "3940"}, Range: Range{From: MustDate("2026-01-01")},
			MaxQuantity: decimal.RequireFromString("90.5"), MaxFills: 3}
	}
	good := ok()
	if err := good.Validate(); err != nil {
		t.Fatalf("a sound PA is refused: %v", err)
	}
	for name, change := range map[string]func(*PriorAuth){
		"note":               func(p *PriorAuth) { p.Note = strings.Repeat("x", MaxPriorAuthNote+1) },
		"class_prefix":       func(p *PriorAuth) { p.ClassPrefix = "../x" },
		"max_quantity":       func(p *PriorAuth) { p.MaxQuantity = decimal.RequireFromString("1.2345") },
		"max_total_quantity": func(p *PriorAuth) { p.MaxTotalQuantity = decimal.RequireFromString("1e20") },
		"max_fills":          func(p *PriorAuth) { p.MaxFills = 1 << 30 },
	} {
		p := ok()
		change(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), "QL1") || strings.Contains(err.Error(), "C1") {
			t.Errorf("%s: got %v, want a refusal naming QL1 and not the cardholder", name, err)
		}
	}
}
