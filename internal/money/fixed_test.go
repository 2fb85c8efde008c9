package money_test

import (
	"reflect"
	"testing"

	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/shopspring/decimal"
)

// same fails unless got is OK and is want's value at want's exponent.
func same(t *testing.T, what string, got money.Fixed, want decimal.Decimal) {
	t.Helper()
	if !got.OK() {
		t.Errorf("%s: not OK, want %s", what, want)
		return
	}
	d := got.Decimal()
	if !d.Equal(want) || d.Exponent() != want.Exponent() {
		t.Errorf("%s = %s (exponent %d), want %s (exponent %d)", what, d, d.Exponent(), want, want.Exponent())
	}
}

// check compares every operation on a and b with decimal.Decimal's, where
// the Fixed result is OK.
func check(t *testing.T, a, b decimal.Decimal) {
	t.Helper()
	fa, fb := money.Of(a), money.Of(b)
	for _, c := range []struct {
		what string
		got  money.Fixed
		want decimal.Decimal
	}{
		{"a+b", fa.Add(fb), a.Add(b)},
		{"a-b", fa.Sub(fb), a.Sub(b)},
		{"a*b", fa.Mul(fb), a.Mul(b)},
		{"min", money.Min(fa, fb), decimal.Min(a, b)},
		{"max", money.Max(fa, fb), decimal.Max(a, b)},
		{"round a", fa.Round(2), a.Round(2)},
		{"round a 0", fa.Round(0), a.Round(0)},
		{"round b 3", fb.Round(3), b.Round(3)},
	} {
		if fa.OK() && fb.OK() && c.got.OK() {
			same(t, c.what+" of "+a.String()+", "+b.String(), c.got, c.want)
		}
	}
	for _, c := range []struct {
		what      string
		got, want decimal.Decimal
	}{
		{"Add", money.Add(a, b), a.Add(b)},
		{"Sub", money.Sub(a, b), a.Sub(b)},
		{"Cents", money.Cents(a, b), a.Mul(b).Round(2)},
	} {
		if !c.got.Equal(c.want) || c.got.Exponent() != c.want.Exponent() {
			t.Errorf("%s of %s, %s = %s (exponent %d), want %s (exponent %d)", c.what, a, b, c.got, c.got.Exponent(), c.want, c.want.Exponent())
		}
	}
	for _, d := range []decimal.Decimal{a, b} {
		if got, want := money.String(d), d.String(); got != want {
			t.Errorf("String of %s (exponent %d) = %q, want %q", want, d.Exponent(), got, want)
		}
	}
	if fa.OK() && fa.Sign() != a.Sign() {
		t.Errorf("sign of %s: %d, want %d", a, fa.Sign(), a.Sign())
	}
}

// TestFixedAsDecimal: sums, differences, products, rounding and the lesser
// and greater of amounts at different exponents and signs are decimal's,
// at its exponents; an amount of 19 digits or an overflow is not OK.
func TestFixedAsDecimal(t *testing.T) {
	amounts := []string{"0", "0.00", "1", "-1", "12.34", "-12.345", "0.005", "-0.005", "0.015",
		"99.995", "100", "1E2", "-2.5E1", "0.35", "123456789012.345678", "-0.0000001", "999999999999999999"}
	for _, x := range amounts {
		for _, y := range amounts {
			check(t, decimal.RequireFromString(x), decimal.RequireFromString(y))
		}
	}
	big := decimal.RequireFromString("1234567890123456789")
	if money.Of(big).OK() {
		t.Error("19 digits: OK")
	}
	max := money.Of(decimal.RequireFromString("999999999999999999"))
	if max.Mul(max).OK() || max.Add(max).Mul(max).OK() {
		t.Error("an overflowing product: OK")
	}
	if max.Sub(money.Of(decimal.RequireFromString("0.000001"))).OK() {
		t.Error("a difference at an exponent that overflows: OK")
	}
	if money.Min(money.Of(big), max).OK() || money.Of(big).Add(max).OK() {
		t.Error("an amount that is not OK made an OK result")
	}
}

// TestFixedDecimalReuses: a result that is an operand's value at its
// exponent is that operand; another is a new decimal.
func TestFixedDecimalReuses(t *testing.T) {
	d := decimal.RequireFromString("12.50")
	if got := money.Of(d).Decimal(d); got != d {
		t.Errorf("the same amount: %v, want the operand itself", got)
	}
	other := decimal.RequireFromString("12.5")
	if got := money.Of(d).Round(1).Decimal(d, other); got != other {
		t.Errorf("12.50 rounded to 1 place: %s (exponent %d), want the second operand", got, got.Exponent())
	}
	if got := money.Of(d).Round(1).Decimal(d); got.String() != "12.5" || got.Exponent() != -1 {
		t.Errorf("12.50 rounded to 1 place: %s (exponent %d)", got, got.Exponent())
	}
}

// TestFixedDecimalShared: an amount in cents from 0.00 to 99.99 or a whole
// number under 10000, shared, is
// what a new one would be (reflect.DeepEqual, as tests compare records),
// and stays so after arithmetic on it.
func TestFixedDecimalShared(t *testing.T) {
	for _, c := range []int64{0, 1, 1234, 9999, 10000, -5} {
		for _, want := range []decimal.Decimal{decimal.New(c, -2), decimal.New(c, 0), decimal.New(c, -3)} {
			got := money.Of(want).Decimal()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %#v, want %#v", want, got, want)
			}
			_ = got.Add(decimal.New(7, -2)).Sub(got).Mul(got).Neg().Round(1)
			_ = money.Add(got, decimal.New(3, -2))
			if again := money.Of(want).Decimal(); !reflect.DeepEqual(again, want) || again.String() != want.String() {
				t.Errorf("%s after arithmetic on it: %s", want, again)
			}
		}
	}
}

// TestParse: Parse reads what decimal.NewFromString reads, at its
// exponent (reflect.DeepEqual), or leaves it to it.
func TestParse(t *testing.T) {
	for _, s := range []string{"0", "0.00", "-0.00", "-0", "12.34", "-12.345", "99.99", "100.00", "0012.30", "30", "30.000",
		"999999999999999999", "-99999999999999999.9", "1234567890123456789", "1.", ".5", "-.5", "-", "", "1e2", "+1", "1.2.3", "--1", "1-"} {
		got, ok := money.Parse(s)
		want, err := decimal.NewFromString(s)
		switch {
		case ok && err != nil:
			t.Errorf("Parse(%q) = %s, decimal refuses it: %v", s, got, err)
		case ok && !reflect.DeepEqual(got, want):
			t.Errorf("Parse(%q) = %#v, want %#v", s, got, want)
		case !ok && len(s) > 0 && len(s) < 10 && s != "1." && s[0] != '.' && s[0] != '+' && s != "1e2" && err == nil && s != "-.5":
			t.Errorf("Parse(%q) left to decimal", s)
		}
	}
}

// FuzzParse: Parse reads what decimal.NewFromString reads, or leaves it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.34", "-0.05", "30", "1.", ".5", "99999999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := money.Parse(s)
		if !ok {
			return
		}
		if want, err := decimal.NewFromString(s); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %#v, want %#v, %v", s, got, want, err)
		}
	})
}

// FuzzFixedAsDecimal checks every operation against decimal.Decimal's on
// coefficients and exponents the fuzzer picks.
func FuzzFixedAsDecimal(f *testing.F) {
	f.Add(int64(1234), int32(-2), int64(-5), int32(-3))
	f.Add(int64(999999999999999999), int32(0), int64(1), int32(-18))
	f.Add(int64(-15), int32(-1), int64(0), int32(2))
	f.Fuzz(func(t *testing.T, c1 int64, e1 int32, c2 int64, e2 int32) {
		// Exponents of amounts: decimal would take long on huge ones.
		e1, e2 = e1%40, e2%40
		check(t, decimal.New(c1, e1), decimal.New(c2, e2))
	})
}
