package records_test

import (
	"bytes"
	stdbig "math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// FuzzDecodeClaim: a stored claim record, however damaged, decodes or
// fails with an error, never a panic; one that decodes encodes again to
// bytes that decode to the same record, and encode the same.
func FuzzDecodeClaim(f *testing.F) {
	for _, name := range []string{"claim_record.pb", "claim_record_trace.pb", "claim_record_trace_v1.pb"} {
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

// TestAnsweredAmountsInCents: a stored answer's amount with a fraction of
// a cent, or an exponent far outside money's, is a damaged record: it
// fails to decode rather than reading back as a value it would not be
// written as (FuzzDecodeClaim found 0.012 read, then written as 0.01).
func TestAnsweredAmountsInCents(t *testing.T) {
	for amount, ok := range map[string]bool{"0.01": true, "1.5": true, "0.010": true, "100": true, "1e3": true,
		"0.012": false, "1e-50": false, "1e9999": false, "5e-3": false} {
		rec := fullRecord()
		if ok {
			rec.Response.DispensingFeePaid = decimal.RequireFromString(amount)
		}
		b, err := records.EncodeClaim(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !ok { // the encoder writes cents; write the damaged amount as a store would have it
			m := new(storev1.ClaimRecord)
			if err := proto.Unmarshal(b, m); err != nil {
				t.Fatal(err)
			}
			m.Response.DispensingFeePaid = amount
			b, _ = proto.Marshal(m)
		}
		if _, err := records.DecodeClaim(b); (err == nil) != ok {
			t.Errorf("dispensing fee %s: decode error %v, want ok %v", amount, err, ok)
		}
	}
}
