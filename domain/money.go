package domain

import (
	"github.com/shopspring/decimal"
)

// FormatCents formats d with exactly two decimals, as d.StringFixed(2)
// does, without big-integer work for the usual amount: one already in
// whole cents (exponent 0, -1 or -2) well inside int64.
func FormatCents(d decimal.Decimal) string {
	exp := d.Exponent()
	if exp > 0 || exp < -2 || d.NumDigits() > 15 {
		return d.StringFixed(2)
	}
	c := d.CoefficientInt64()
	if c == 0 {
		return "0.00"
	}
	for ; exp > -2; exp-- {
		c *= 10
	}
	neg := c < 0
	if neg {
		c = -c
	}
	var buf [24]byte // digits from the right, the point after two of them
	i := len(buf)
	for n := 0; n < 3 || c > 0; n++ {
		if n == 2 {
			i--
			buf[i] = '.'
		}
		i--
		buf[i] = byte('0' + c%10)
		c /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// WholeCents reports whether d has no fraction of a cent. An amount with
// at most two decimal places (every amount the engine rounds) is answered
// without arithmetic, which allocates.
func WholeCents(d decimal.Decimal) bool { return d.Exponent() >= -2 || d.Equal(d.Round(2)) }

// Cents returns d in whole cents when that needs no big-integer work: d has
// at most two decimal places (exponent 0, -1 or -2) and at most 15 digits.
// ok is false otherwise (d may still be whole cents).
func Cents(d decimal.Decimal) (cents int64, ok bool) {
	exp := d.Exponent()
	if exp > 0 || exp < -2 || d.NumDigits() > 15 {
		return 0, false
	}
	c := d.CoefficientInt64()
	for ; exp > -2; exp-- {
		c *= 10
	}
	return c, true
}
