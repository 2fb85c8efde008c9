package records

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
)

// TestAppendDecimalSameBytes checks appendDecimal's int64 shortcut against
// the form it had before it (the coefficient copied with Coefficient):
// every value writes the same bytes, at the edges of 18 and 19 digits,
// of int64 and of the exponents.
func TestAppendDecimalSameBytes(t *testing.T) {
	before := func(d decimal.Decimal) []byte {
		c, e := d.Coefficient(), d.Exponent()
		if c.IsInt64() && e > math.MinInt8 && e < decimalText {
			return binary.AppendVarint([]byte{byte(int8(e))}, c.Int64())
		}
		return appendStr([]byte{byte(int8(decimalText))}, c.String()+"e"+strconv.Itoa(int(e)))
	}
	var coefs []*big.Int
	for _, s := range []string{
		"0", "1", "-1", "12345", "999999999999999999", "-999999999999999999",
		"1000000000000000000", "-1000000000000000000", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"99999999999999999999", "123456789012345678901234567890",
	} {
		c, _ := new(big.Int).SetString(s, 10)
		coefs = append(coefs, c)
	}
	for _, c := range coefs {
		for _, e := range []int32{0, -2, -5, 3, math.MinInt8, math.MinInt8 + 1, decimalText - 1, decimalText, 200, -200} {
			d := decimal.NewFromBigInt(c, e)
			if got, want := appendDecimal(nil, d), before(d); !bytes.Equal(got, want) {
				t.Errorf("%se%d: %x, want %x", c, e, got, want)
			}
		}
	}
}
