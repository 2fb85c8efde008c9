// Package money does a claim's short chains of decimal arithmetic in
// int64, to the same value at the same exponent as shopspring/decimal,
// without its big-integer allocations.
package money

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// Fixed is an amount as an int64 coefficient at an exponent, with
// decimal.Decimal's rules: a sum or difference is at the smaller exponent,
// a product at the sum of the exponents, Min and Max return an operand.
// An amount that does not fit (a coefficient over 18 digits, an overflow)
// makes every result it reaches not OK: the caller then does the same
// work with decimal.Decimal.
type Fixed struct {
	c   int64
	exp int32
	bad bool
}

// Of returns d as a Fixed; not OK if its coefficient has over 18 digits.
func Of(d decimal.Decimal) Fixed {
	if d.NumDigits() > 18 {
		return Fixed{bad: true}
	}
	return Fixed{c: d.CoefficientInt64(), exp: d.Exponent()}
}

// OK reports whether f and every amount it was computed from fit.
func (f Fixed) OK() bool { return !f.bad }

// Decimal returns f as a decimal.Decimal: the first of reuse that is f's
// value at f's exponent (no allocation), else a new one. It panics if f
// is not OK: the caller was to do the work in decimal.Decimal.
func (f Fixed) Decimal(reuse ...decimal.Decimal) decimal.Decimal {
	if f.bad {
		panic("money: Decimal of an amount that does not fit")
	}
	for _, d := range reuse {
		if Of(d) == f {
			return d
		}
	}
	return New(f.c, f.exp)
}

// Parse returns s as decimal.NewFromString reads it, where s is digits
// with an optional '-' and fraction, 18 digits at most (every amount a
// store writes); ok is false for anything else, for the caller to read
// with decimal.NewFromString. Small amounts are shared, as New shares them.
// s is a string or the bytes of one (a document's), read without a copy.
func Parse[S ~string | ~[]byte](s S) (d decimal.Decimal, ok bool) {
	start := 0
	if len(s) > 0 && s[0] == '-' {
		start = 1
	}
	var c int64
	digits, point := 0, -1
	for i := start; i < len(s); i++ {
		switch b := s[i]; {
		case b >= '0' && b <= '9':
			c = c*10 + int64(b-'0')
			digits++
		case b == '.' && point < 0 && i > start && i < len(s)-1:
			point = i // not "1." nor ".5"
		default:
			return decimal.Decimal{}, false
		}
	}
	if digits == 0 || digits > 18 {
		return decimal.Decimal{}, false
	}
	exp := int32(0)
	if point >= 0 {
		exp = -int32(len(s) - point - 1)
	}
	if start == 1 {
		c = -c
	}
	return New(c, exp), true
}

// New returns decimal.New(c, exp), shared when it is an amount in cents
// under 100.00 or a whole number under 10000 (at exponent 0).
func New(c int64, exp int32) decimal.Decimal {
	if c >= 0 && c < int64(len(shared[0])) {
		switch exp {
		case -2:
			return shared[0][c]
		case 0:
			return shared[1][c]
		}
	}
	return decimal.New(c, exp)
}

// shared are the amounts from 0.00 to 99.99 and the whole numbers from 0
// to 9999 (most of a claim's amounts, quantities and counts), made once
// and shared: a decimal.Decimal is a value no operation changes (as
// decimal.Zero, shared by every package). Made together, they lie together.
var shared [2][10_000]decimal.Decimal

func init() {
	for c := range shared[0] {
		shared[0][c], shared[1][c] = decimal.New(int64(c), -2), decimal.New(int64(c), 0)
	}
}

// at returns f's coefficient at exponent exp <= f.exp.
func (f Fixed) at(exp int32) (int64, bool) {
	for e := f.exp; e > exp; e-- {
		hi, lo := bits.Mul64(abs(f.c), 10)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		f.c *= 10
	}
	return f.c, true
}

func abs(c int64) uint64 {
	if c < 0 {
		return uint64(-c)
	}
	return uint64(c)
}

// align returns both coefficients at the smaller exponent.
func align(f, g Fixed) (a, b int64, exp int32, ok bool) {
	if f.bad || g.bad {
		return 0, 0, 0, false
	}
	exp = min(f.exp, g.exp)
	a, okA := f.at(exp)
	b, okB := g.at(exp)
	return a, b, exp, okA && okB
}

// Add returns f + g, as decimal.Decimal.Add.
func (f Fixed) Add(g Fixed) Fixed {
	a, b, exp, ok := align(f, g)
	s := a + b
	if !ok || (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return Fixed{bad: true}
	}
	return Fixed{c: s, exp: exp}
}

// Sub returns f - g, as decimal.Decimal.Sub.
func (f Fixed) Sub(g Fixed) Fixed {
	if g.c == math.MinInt64 {
		return Fixed{bad: true}
	}
	return f.Add(Fixed{c: -g.c, exp: g.exp, bad: g.bad})
}

// Mul returns f × g, as decimal.Decimal.Mul.
func (f Fixed) Mul(g Fixed) Fixed {
	hi, lo := bits.Mul64(abs(f.c), abs(g.c))
	if f.bad || g.bad || hi != 0 || lo > math.MaxInt64 {
		return Fixed{bad: true}
	}
	exp := int64(f.exp) + int64(g.exp)
	if exp < math.MinInt32 || exp > math.MaxInt32 {
		return Fixed{bad: true}
	}
	c := int64(lo)
	if (f.c < 0) != (g.c < 0) {
		c = -c
	}
	return Fixed{c: c, exp: int32(exp)}
}

// Round returns f rounded half away from zero to places decimal places,
// as decimal.Decimal.Round: at exponent -places.
func (f Fixed) Round(places int32) Fixed {
	if f.bad || f.exp == -places {
		return f
	}
	var c int64
	if f.exp > -places-1 {
		var ok bool
		if c, ok = f.at(-places - 1); !ok {
			return Fixed{bad: true}
		}
	} else {
		c = f.c
		for e := f.exp; e < -places-1; e++ {
			c /= 10 // truncates toward zero, as big.Int.Quo
		}
	}
	if abs(c) > math.MaxInt64-5 {
		return Fixed{bad: true}
	}
	if c < 0 {
		c -= 5
	} else {
		c += 5
	}
	return Fixed{c: c / 10, exp: -places}
}

// cmp compares f and g by value, as decimal.Decimal.Cmp; not ok when
// either is not OK or they cannot be put at one exponent.
func (f Fixed) cmp(g Fixed) (int, bool) {
	a, b, _, ok := align(f, g)
	switch {
	case !ok:
		return 0, false
	case a < b:
		return -1, true
	case a > b:
		return 1, true
	}
	return 0, true
}

// Sign returns -1, 0 or 1 by f's sign.
func (f Fixed) Sign() int {
	switch {
	case f.c < 0:
		return -1
	case f.c > 0:
		return 1
	}
	return 0
}

// Min returns the lesser of f and g, f when they are equal, as
// decimal.Min(f, g); not OK if either is not.
func Min(f, g Fixed) Fixed {
	switch c, ok := g.cmp(f); {
	case !ok:
		return Fixed{bad: true}
	case c < 0:
		return g
	}
	return f
}

// Max returns the greater of f and g, f when they are equal, as
// decimal.Max(f, g); not OK if either is not.
func Max(f, g Fixed) Fixed {
	switch c, ok := g.cmp(f); {
	case !ok:
		return Fixed{bad: true}
	case c > 0:
		return g
	}
	return f
}

// Add returns a.Add(b): the same amount at the same exponent, without
// allocating when it is a's or b's (the other is a zero).
func Add(a, b decimal.Decimal) decimal.Decimal {
	if s := Of(a).Add(Of(b)); s.OK() {
		return s.Decimal(a, b)
	}
	return a.Add(b)
}

// Sub returns a.Sub(b): the same amount at the same exponent, without
// allocating when it is a's (b is a zero).
func Sub(a, b decimal.Decimal) decimal.Decimal {
	if s := Of(a).Sub(Of(b)); s.OK() {
		return s.Decimal(a)
	}
	return a.Sub(b)
}

// Cents returns d.Mul(by).Round(2), as edits.Cents of the product does.
func Cents(d, by decimal.Decimal) decimal.Decimal {
	if c := Of(d).Mul(Of(by)).Round(2); c.OK() {
		return c.Decimal()
	}
	return d.Mul(by).Round(2)
}

// String returns d.String(): without big-integer work when d's coefficient
// fits in int64 at an exponent of 0 to -18 (AppendString).
func String(d decimal.Decimal) string {
	var text [40]byte
	return string(AppendString(text[:0], d))
}

// AppendString appends d.String(), the digits written from an int64 when
// d's coefficient fits in one at an exponent of 0 to -18, else by
// d.String.
func AppendString(buf []byte, d decimal.Decimal) []byte {
	exp := d.Exponent()
	if exp > 0 || exp < -18 || d.NumDigits() > 18 {
		return append(buf, d.String()...)
	}
	var digits [24]byte // the coefficient's digits, from the right
	c := d.CoefficientInt64()
	neg := c < 0
	if neg {
		c = -c
	}
	i := len(digits)
	for n := 0; n <= -int(exp) || c > 0; n++ {
		i--
		digits[i] = byte('0' + c%10)
		c /= 10
	}
	// The integer part, then the fraction without its trailing zeros, as
	// decimal.Decimal.String writes them.
	intPart, frac := digits[i:len(digits)+int(exp)], digits[len(digits)+int(exp):]
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if neg && (len(frac) > 0 || string(intPart) != "0") {
		buf = append(buf, '-')
	}
	buf = append(buf, intPart...)
	if len(frac) > 0 {
		buf = append(append(buf, '.'), frac...)
	}
	return buf
}
