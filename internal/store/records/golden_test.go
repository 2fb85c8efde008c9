package records_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
)

// The golden files were written by the store before rxclaims.store.v1 had
// messages of its own (when it embedded the API's Claim and ClaimResult):
// records on disk since then must decode, and encode to the same bytes.

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
	cmpopts.EquateComparable(domain.Date{}),
}

func TestClaimGolden(t *testing.T) {
	want := fullRecord()
	want.ConfigVersion, want.TraceVersion, want.PriorAuths = 0, 0, nil
	b, err := records.EncodeClaim(want)
	if err != nil {
		t.Fatal(err)
	}
	checkGoldenEncoding(t, "claim_record_trace_v1.pb", b)
	// The first form, as the builds before the dictionary wrote it: never
	// rewritten, for a database those builds share (records.TraceFirstForm).
	first, err := records.EncodeClaimForm(want, records.TraceFirstForm)
	if err != nil {
		t.Fatal(err)
	}
	if golden := readGolden(t, "claim_record_trace.pb"); !bytes.Equal(first, golden) {
		t.Errorf("EncodeClaimForm(TraceFirstForm) no longer writes what earlier builds wrote\n got %x\nwant %x", first, golden)
	}
	for _, name := range []string{"claim_record_trace.pb", "claim_record_trace_v1.pb"} {
		got, err := records.DecodeClaim(readGolden(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("golden record %s decodes differently (-want +got):\n%s", name, diff)
		}
	}
}

// checkGoldenEncoding fails if b is not the golden file's bytes. The first
// golden records keep the trace's first binary form, which records written
// before the trace dictionary keep; claim_record_trace_v1.pb pins the
// second (rewritten with -rewrite, when a change of that form is meant).
func checkGoldenEncoding(t *testing.T, name string, b []byte) {
	t.Helper()
	if *records.RewriteGolden {
		if err := os.WriteFile("testdata/"+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if golden := readGolden(t, name); !bytes.Equal(b, golden) {
		t.Errorf("EncodeClaim no longer writes the golden bytes of %s: a stored field or enum number changed\n got %x\nwant %x", name, b, golden)
	}
}

// TestClaimGoldenTextTrace: a record written before traces were stored
// structured (trace_steps) still decodes, its trace as text.
func TestClaimGoldenTextTrace(t *testing.T) {
	got, err := records.DecodeClaim(readGolden(t, "claim_record.pb"))
	if err != nil {
		t.Fatal(err)
	}
	want := fullRecord()
	want.ConfigVersion, want.TraceVersion, want.PriorAuths = 0, 0, nil
	text := []adjudicator.TraceStep{{Step: "s", Rule: "r", Text: "o"}}
	want.Response.Trace, want.Reversal.Response.Trace = text, text
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("golden record decodes differently (-want +got):\n%s", diff)
	}
}

func goldenDocument() *accumulators.Doc {
	kinds := []accumulators.Kind{accumulators.Deductible, accumulators.OutOfPocket, accumulators.PlanPaid, accumulators.RxCount, accumulators.Units}
	d := &accumulators.Doc{}
	for i, k := range kinds {
		for j, nt := range domain.NetworkTypes {
			seg := domain.Segment{Type: nt, Class: domain.NetworkClasses[(i+j)%2]}
			d.Add(accumulators.Bucket{Kind: k, Level: "L", Segment: seg}, decimal.NewFromInt(int64(i*10+j+1)))
		}
	}
	return d
}

func TestDocumentGolden(t *testing.T) {
	golden := readGolden(t, "document.bin")
	got, err := records.DecodeDocument(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(goldenDocument(), got, cmpOpts...); diff != "" {
		t.Errorf("golden document decodes differently (-want +got):\n%s", diff)
	}
	if b := records.EncodeDocument(goldenDocument()); !bytes.Equal(b, golden) {
		t.Errorf("EncodeDocument no longer writes the golden bytes: a stored number changed\n got %x\nwant %x", b, golden)
	}
}

// TestStoredNumbers pins every enum value that is stored as a number: the
// Go constants the document codec and the Pebble document keys write
// (kind, network type and class, scope), and the proto enums of claim
// records. Renumbering any of them would misread existing data.
func TestStoredNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"accumulators.Member", int(accumulators.Member), 1},
		{"accumulators.Family", int(accumulators.Family), 2},
		{"accumulators.Deductible", int(accumulators.Deductible), 1},
		{"accumulators.OutOfPocket", int(accumulators.OutOfPocket), 2},
		{"accumulators.PlanPaid", int(accumulators.PlanPaid), 3},
		{"accumulators.RxCount", int(accumulators.RxCount), 4},
		{"accumulators.Units", int(accumulators.Units), 5},
		{"domain.Retail", int(domain.Retail), 1},
		{"domain.Retail90", int(domain.Retail90), 2},
		{"domain.Mail", int(domain.Mail), 3},
		{"domain.Specialty", int(domain.Specialty), 4},
		{"domain.InNetwork", int(domain.InNetwork), 1},
		{"domain.OutOfNetwork", int(domain.OutOfNetwork), 2},
		{"storev1.SCOPE_MEMBER", int(storev1.Scope_SCOPE_MEMBER), 1},
		{"storev1.SCOPE_FAMILY", int(storev1.Scope_SCOPE_FAMILY), 2},
		{"storev1.KIND_DEDUCTIBLE", int(storev1.Kind_KIND_DEDUCTIBLE), 1},
		{"storev1.KIND_OUT_OF_POCKET", int(storev1.Kind_KIND_OUT_OF_POCKET), 2},
		{"storev1.KIND_PLAN_PAID", int(storev1.Kind_KIND_PLAN_PAID), 3},
		{"storev1.KIND_RX_COUNT", int(storev1.Kind_KIND_RX_COUNT), 4},
		{"storev1.KIND_UNITS", int(storev1.Kind_KIND_UNITS), 5},
		{"storev1.NETWORK_TYPE_RETAIL", int(storev1.NetworkType_NETWORK_TYPE_RETAIL), 1},
		{"storev1.NETWORK_TYPE_RETAIL90", int(storev1.NetworkType_NETWORK_TYPE_RETAIL90), 2},
		{"storev1.NETWORK_TYPE_MAIL", int(storev1.NetworkType_NETWORK_TYPE_MAIL), 3},
		{"storev1.NETWORK_TYPE_SPECIALTY", int(storev1.NetworkType_NETWORK_TYPE_SPECIALTY), 4},
		{"storev1.NETWORK_CLASS_IN", int(storev1.NetworkClass_NETWORK_CLASS_IN), 1},
		{"storev1.NETWORK_CLASS_OUT", int(storev1.NetworkClass_NETWORK_CLASS_OUT), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, stored as %d: a stored number must never change", c.name, c.got, c.want)
		}
	}
}
