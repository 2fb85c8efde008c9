package accumulators

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// TestAmountCodecMatchesDecimal checks the document's amount fast paths
// against decimal.Decimal.String and decimal.NewFromString: the same text
// written, the same value at the same exponent read (documents written
// before the fast paths read back exactly as they did).
func TestAmountCodecMatchesDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var amounts []decimal.Decimal
	for _, c := range []int64{0, 1, -1, 5, 10, 100, 1250, -1250, 999999999999999999, -999999999999999999, 1 << 53, 123456789012345678} {
		for exp := int32(-19); exp <= 2; exp++ {
			amounts = append(amounts, decimal.New(c, exp))
		}
	}
	for range 20000 {
		amounts = append(amounts, decimal.New(r.Int64N(2e12)-1e12, -int32(r.IntN(5))))
	}
	for _, s := range []string{"12.50", "0.0", "-0", "007", "1e3", "1.2.3", "", "-", ".5", "5.", "+5", "12345678901234567890.5", "-0.05"} {
		if d, err := decimal.NewFromString(s); err == nil {
			amounts = append(amounts, d)
		}
	}
	for _, d := range amounts {
		got := appendAmount(nil, d)
		want := appendString(nil, d.String())
		if string(got) != string(want) {
			t.Fatalf("appendAmount(%s) = %q, want %q", d, got, want)
		}
	}
	texts := []string{"12.50", "0.0", "-0", "007", "1e3", "1.2.3", "", "-", ".5", "5.", "+5", "12345678901234567890.5", "-0.05", "0.10", "-12", "1234567890123456789"}
	for _, d := range amounts {
		texts = append(texts, d.String())
	}
	for _, s := range texts {
		got, gotErr := parseAmount([]byte(s))
		want, wantErr := decimal.NewFromString(s)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("parseAmount(%q) error %v, NewFromString's %v", s, gotErr, wantErr)
		}
		if gotErr == nil && (!got.Equal(want) || got.Exponent() != want.Exponent()) {
			t.Fatalf("parseAmount(%q) = %s at exponent %d, want %s at %d", s, got, got.Exponent(), want, want.Exponent())
		}
	}
}
