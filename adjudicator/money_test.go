package adjudicator

import (
	"testing"

	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// exact reports whether a and b are one amount at one exponent.
func exact(a, b decimal.Decimal) bool { return a.Equal(b) && a.Exponent() == b.Exponent() }

// TestMoneyPathsAsDecimal: the out-of-pocket cap, the member share and
// AWP less the discount, done in int64 where the amounts fit, give
// decimal.Decimal's amounts at its exponents, also for amounts at mixed
// exponents and one too long for int64.
func TestMoneyPathsAsDecimal(t *testing.T) {
	amounts := []string{"0", "0.00", "5", "12.34", "7.5", "100.00", "0.01", "1E1", "5.83", "17.83", "1234567890123456789.12"}
	for _, ded := range amounts {
		for _, copay := range amounts {
			for _, rem := range amounts {
				r := &Response{Deductible: decimal.RequireFromString(ded), Copay: decimal.RequireFromString(copay),
					Coinsurance: decimal.RequireFromString("3.33"), ProductSelection: decimal.RequireFromString("2.5")}
				want := *r
				parts := []*decimal.Decimal{&want.ProductSelection, &want.Coinsurance, &want.Copay, &want.Deductible}
				capped, wantCapped := capMemberShare(r, decimal.RequireFromString(rem)), capMemberShareDecimal(parts, decimal.RequireFromString(rem))
				if capped != wantCapped || !exact(r.Deductible, want.Deductible) || !exact(r.Copay, want.Copay) ||
					!exact(r.Coinsurance, want.Coinsurance) || !exact(r.ProductSelection, want.ProductSelection) {
					t.Errorf("cap of %s %s 3.33 2.5 at %s: %v %+v, want %v %+v", ded, copay, rem, capped, r, wantCapped, want)
				}
				share := want.Deductible.Add(want.Copay).Add(want.Coinsurance).Add(want.ProductSelection)
				if got := memberShare(r); !exact(got, share) {
					t.Errorf("member share %s, want %s", got, share)
				}
				awp, qty, disc := decimal.RequireFromString(ded), decimal.RequireFromString(copay), decimal.RequireFromString("0.175")
				if got, want := awpLess(awp, qty, disc), edits.Cents(awp.Mul(qty).Mul(decOne.Sub(disc))); !exact(got, want) {
					t.Errorf("AWP %s × %s less %s: %s, want %s", awp, qty, disc, got, want)
				}
			}
		}
	}
}
