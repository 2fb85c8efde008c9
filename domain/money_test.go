package domain

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// FormatCents must agree with StringFixed(2) on every input.
func TestFormatCentsMatchesStringFixed(t *testing.T) {
	cases := []string{"0", "0.0", "0.00", "0.5", "0.05", "1", "1.1", "1.10", "12.34", "-0.01", "-12.3", "-7",
		"999999999999.99", "1000000000000000", "123.456", "0.005", "1e3", "1.5e-1", "-0.000", "99999999999999999999.99"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		v := decimal.New(rng.Int64N(2_000_000_000)-1_000_000_000, -int32(rng.IntN(5)))
		cases = append(cases, v.String())
		cases = append(cases, decimal.New(rng.Int64N(1000), int32(rng.IntN(3))).String())
	}
	for _, s := range cases {
		d := decimal.RequireFromString(s)
		if got, want := FormatCents(d), d.StringFixed(2); got != want {
			t.Errorf("FormatCents(%s) = %q, want %q", s, got, want)
		}
	}
	// Arithmetic results keep their own exponents.
	a := decimal.RequireFromString("193.50").Mul(decimal.RequireFromString("0.25"))
	if got, want := FormatCents(a), a.StringFixed(2); got != want {
		t.Errorf("FormatCents(%s) = %q, want %q", a, got, want)
	}
}

func BenchmarkFormatCents(b *testing.B) {
	d := decimal.RequireFromString("1234.50")
	b.Run("FormatCents", func(b *testing.B) {
		for b.Loop() {
			_ = FormatCents(d)
		}
	})
	b.Run("StringFixed", func(b *testing.B) {
		for b.Loop() {
			_ = d.StringFixed(2)
		}
	})
}

// Cents, when it answers, gives the amount in cents exactly.
func TestCentsMatchesDecimal(t *testing.T) {
	cases := []string{"0", "0.0", "0.00", "0.5", "0.05", "1", "12.34", "-0.01", "-7", "999999999999.99", "9999999999999.99",
		"1000000000000000", "123.456", "1e3", "1.5e-1", "-0.000"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		cases = append(cases, decimal.New(rng.Int64N(2_000_000_000)-1_000_000_000, -int32(rng.IntN(4))).String())
	}
	hundred := decimal.NewFromInt(100)
	for _, s := range cases {
		d := decimal.RequireFromString(s)
		c, ok := Cents(d)
		whole := d.Exponent() >= -2 && d.Exponent() <= 0
		if ok != (whole && d.NumDigits() <= 15) {
			t.Errorf("Cents(%s) ok = %v", s, ok)
		}
		if ok && !decimal.NewFromInt(c).Equal(d.Mul(hundred)) {
			t.Errorf("Cents(%s) = %d", s, c)
		}
	}
}
