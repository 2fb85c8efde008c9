package domain

import (
	"strconv"

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
	for ; exp > -2; exp-- {
		c *= 10
	}
	neg := c < 0
	if neg {
		c = -c
	}
	digits := strconv.AppendInt(make([]byte, 0, 24), c, 10)
	for len(digits) < 3 {
		digits = append([]byte{'0'}, digits...)
	}
	out := make([]byte, 0, len(digits)+2)
	if neg {
		out = append(out, '-')
	}
	out = append(out, digits[:len(digits)-2]...)
	out = append(out, '.')
	return string(append(out, digits[len(digits)-2:]...))
}

// WholeCents reports whether d has no fraction of a cent.
func WholeCents(d decimal.Decimal) bool { return d.Equal(d.Round(2)) }
