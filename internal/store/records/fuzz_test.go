package records_test

import (
	"bytes"
	stdbig "math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
	"github.com/shopspring/decimal"
)

// FuzzDecodeClaim: a stored claim record, however damaged, decodes or
// fails with an error, never a panic; one that decodes encodes again to
// bytes that decode to the same record, and encode the same.
func FuzzDecodeClaim(f *testing.F) {
	for _, name := range []string{"claim_record.pb", "claim_record_trace.pb"} {
		f.Add(readGolden(f, name))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := records.DecodeClaim(b)
		if err != nil {
			return
		}
		enc, err := records.EncodeClaim(rec)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		again, err := records.DecodeClaim(enc)
		if err != nil {
			t.Fatalf("a re-encoded record does not decode: %v", err)
		}
		if diff := cmp.Diff(rec, again, cmpOpts...); diff != "" {
			t.Fatalf("re-encoding changed the record (-first +again):\n%s", diff)
		}
		if enc2, err := records.EncodeClaim(again); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v", err)
		}
	})
}

// TestTraceDecimalsExact: a trace argument's decimal reads back with the
// same coefficient and exponent, and writes the same bytes again, however
// large its coefficient or exponent (the case FuzzDecodeClaim found: a
// coefficient past int64 at exponent -1 went out as "1000000000000000000"
// and came back as the int64 10^18 at exponent 0).
func TestTraceDecimalsExact(t *testing.T) {
	big := func(s string, exp int32) decimal.Decimal {
		c, ok := new(stdbig.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return decimal.NewFromBigInt(c, exp)
	}
	for _, d := range []decimal.Decimal{
		big("10000000000000000000", -1), big("-10000000000000000000", -1),
		decimal.New(10, -128), decimal.New(10, 127), decimal.New(-5, 200), decimal.New(0, -300),
		big("123456789012345678901234567890", -40), decimal.New(1999, -2),
	} {
		rec := fullRecord()
		rec.Response.Trace = []adjudicator.TraceStep{{Step: "s", Format: "%s", Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgDecimal, Dec: d}}}}
		enc, err := records.EncodeClaim(rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := records.DecodeClaim(enc)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		back := got.Response.Trace[0].Args[0].Dec
		if back.Coefficient().Cmp(d.Coefficient()) != 0 || back.Exponent() != d.Exponent() {
			t.Errorf("%s (%se%d) reads back as %se%d", d, d.Coefficient(), d.Exponent(), back.Coefficient(), back.Exponent())
		}
		if enc2, err := records.EncodeClaim(got); err != nil || !bytes.Equal(enc, enc2) {
			t.Errorf("%s: a second write differs (%v)", d, err)
		}
	}
}
