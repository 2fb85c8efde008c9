package records_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// withoutTrace is what DecodeClaimWithoutTrace must read from b: what
// DecodeClaim reads, without the responses' traces.
func withoutTrace(t testing.TB, b []byte) (*adjudicator.ClaimRecord, error) {
	t.Helper()
	rec, err := records.DecodeClaim(b)
	if err != nil {
		return nil, err
	}
	rec.Response.Trace = nil
	if rec.Reversal != nil && rec.Reversal.Response != nil {
		rec.Reversal.Response.Trace = nil
	}
	return rec, nil
}

// TestDecodeClaimWithoutTrace: the wire reader reads every field the
// generated code reads (the full fixture, the golden records, a record
// with zero amounts), and follows protobuf's rules on a field repeated,
// a message field repeated (merged) and a field of an unknown number or
// an unexpected wire type (skipped).
func TestDecodeClaimWithoutTrace(t *testing.T) {
	full := fullRecord()
	full.Claim.DatePrescriptionWritten, full.Claim.RefillsAuthorized = "2026-03-01", "2"
	full.Claim.QuantityPrescribed, full.Claim.OtherCoverageCode = "30", "1"
	enc, err := records.EncodeClaim(full)
	if err != nil {
		t.Fatal(err)
	}
	zero := fullRecord()
	zero.Reversal, zero.PriorAuths = nil, nil
	zero.Response.Deductible, zero.Response.Coinsurance = decimal.Zero, decimal.Zero // written as 0.00
	encZero, err := records.EncodeClaim(zero)
	if err != nil {
		t.Fatal(err)
	}
	// More of a field, a message field again, unknown fields.
	odd := protowire.AppendString(protowire.AppendTag(enc, 1, protowire.BytesType), "c9")
	odd = protowire.AppendBytes(protowire.AppendTag(odd, 11, protowire.BytesType),
		protowire.AppendString(protowire.AppendTag(nil, 3, protowire.BytesType), "G2"))
	odd = protowire.AppendVarint(protowire.AppendTag(odd, 99, protowire.VarintType), 5)
	odd = protowire.AppendVarint(protowire.AppendTag(odd, 2, protowire.VarintType), 5)
	for name, b := range map[string][]byte{"full": enc, "zero amounts": encZero, "odd": odd,
		"golden": readGolden(t, "claim_record.pb"), "golden with trace": readGolden(t, "claim_record_trace.pb"),
		"golden with a v1 trace": readGolden(t, "claim_record_trace_v1.pb")} {
		want, err := withoutTrace(t, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := records.DecodeClaimWithoutTrace(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("%s (-DecodeClaim +DecodeClaimWithoutTrace):\n%s", name, diff)
		}
	}
	if got, err := records.DecodeClaimWithoutTrace(odd); err == nil && (got.ID != "c9" || got.Claim.GroupID != "G2" || got.Claim.BIN == "") {
		t.Errorf("odd record read as ID %q, group %q, BIN %q", got.ID, got.Claim.GroupID, got.Claim.BIN)
	}
}

// FuzzDecodeClaimWithoutTrace: whatever the bytes, the wire reader does
// not panic, and where DecodeClaim reads a record it reads the same.
func FuzzDecodeClaimWithoutTrace(f *testing.F) {
	for _, name := range []string{"claim_record.pb", "claim_record_trace.pb", "claim_record_trace_v1.pb"} {
		f.Add(readGolden(f, name))
	}
	if enc, err := records.EncodeClaim(fullRecord()); err == nil {
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := records.DecodeClaimWithoutTrace(b)
		want, werr := withoutTrace(t, b)
		if werr != nil {
			return
		}
		if err != nil {
			t.Fatalf("DecodeClaim reads it, DecodeClaimWithoutTrace: %v", err)
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Fatalf("(-DecodeClaim +DecodeClaimWithoutTrace):\n%s", diff)
		}
	})
}

// FuzzDecodeHistory: DecodeHistory's reader of EncodeHistory's own layout
// reads what encoding/json reads, and fails where it fails.
func FuzzDecodeHistory(f *testing.F) {
	for _, h := range []adjudicator.HistoryEntry{
		{ClaimID: "c1", DateOfService: domain.MustDate("2026-03-04"), PharmacyNPI: "1234567893", RxNumber: "77", NDC: "00093505698",
			Class: "3940", DaysSupply: 30, Quantity: decimal.RequireFromString("30.5"), PlanPaid: decimal.RequireFromString("-12.34"),
			Segment: domain.Segment{Type: domain.Mail, Class: domain.OutOfNetwork}, Buckets: []string{"max_rx_count/", "b/L"}, PriorAuths: []string{"QL1"}},
		{ClaimID: "c<2>", NDC: "x\"y", DaysSupply: -1, Segment: domain.Segment{Type: domain.Retail, Class: domain.InNetwork}},
	} {
		b, err := records.EncodeHistory(&h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"claim_id":"c1","date_of_service":"2026-03-04","ndc":"n","class":"c","days_supply":030,"quantity":"1","plan_paid":"2","segment":{"Type":"MAIL","Class":"IN"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := records.DecodeHistory(b)
		var want adjudicator.HistoryEntry
		werr := json.Unmarshal(b, &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("DecodeHistory: %v, encoding/json: %v", err, werr)
		}
		if err != nil {
			return
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Fatalf("(-encoding/json +DecodeHistory):\n%s", diff)
		}
	})
}

// TestWireReaderKnowsEveryField: every field of the messages
// DecodeClaimWithoutTrace walks itself is one it reads or leaves out on
// purpose (the trace). A field added to records.proto and read by
// DecodeClaim, but not by the wire reader, would be skipped as unknown:
// a dry run would then answer from records read without it, with no
// error. Add such a field to wire.go, then here.
func TestWireReaderKnowsEveryField(t *testing.T) {
	upTo := func(n int, but ...int) []int {
		var out []int
		for i := 1; i <= n; i++ {
			if !slices.Contains(but, i) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, m := range []struct {
		msg   proto.Message
		known []int // read by wire.go, or left out on purpose
	}{
		{&storev1.ClaimRecord{}, upTo(17)},
		{&storev1.Claim{}, upTo(27)},
		{&storev1.DurService{}, upTo(3)},
		{&storev1.ClaimResult{}, upTo(28)}, // 26 and 28, the trace, are left out
		{&storev1.Reject{}, upTo(2)},
		{&storev1.DurAlert{}, upTo(2)},
		{&storev1.Contribution{}, upTo(6)},
	} {
		fs := m.msg.ProtoReflect().Descriptor().Fields()
		var got []int
		for i := range fs.Len() {
			got = append(got, int(fs.Get(i).Number()))
		}
		slices.Sort(got)
		if !slices.Equal(got, m.known) {
			t.Errorf("%s has fields %v, the wire reader knows %v", m.msg.ProtoReflect().Descriptor().FullName(), got, m.known)
		}
	}
}
