package records

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// rewrite rewrites golden files that may only grow (the trace dictionary)
// or that pin an encoding first written by this build:
//
//	go test ./internal/store/records -rewrite
var rewrite = flag.Bool("rewrite", false, "rewrite the golden files of testdata that a change may extend")

// RewriteGolden is rewrite, for the tests of package records_test.
var RewriteGolden = rewrite

// sameTrace reports how a and b differ, field by field and decimals by
// coefficient and exponent ("" if they do not): TraceStep.Equal compares
// a step without a format by its text only.
func sameTrace(a, b []adjudicator.TraceStep) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d steps, want %d", len(b), len(a))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Step != y.Step || x.Rule != y.Rule || x.Reject != y.Reject || x.Format != y.Format || x.Text != y.Text || len(x.Args) != len(y.Args) {
			return fmt.Sprintf("step %d: %+v, want %+v", i, y, x)
		}
		for j, p := range x.Args {
			q := y.Args[j]
			if p.Kind != q.Kind || p.Text != q.Text || p.Int != q.Int || p.Dec.Exponent() != q.Dec.Exponent() || p.Dec.Coefficient().Cmp(q.Dec.Coefficient()) != 0 {
				return fmt.Sprintf("step %d argument %d: %+v, want %+v", i, j, q, p)
			}
		}
	}
	return ""
}

// testTraces are traces of every shape: the record tests' fixture (every
// field and argument kind), the bench mix's steps (dictionary entries, a
// rule and a plan's text named again), strings past one byte of length,
// more distinct inline strings than a trace refers back to, and text that
// is not ASCII.
func testTraces() map[string][]adjudicator.TraceStep {
	d := decimal.RequireFromString
	text := func(s string) adjudicator.TraceArg { return adjudicator.TraceArg{Kind: adjudicator.ArgText, Text: s} }
	cents := func(s string) adjudicator.TraceArg {
		return adjudicator.TraceArg{Kind: adjudicator.ArgCents, Dec: d(s)}
	}
	many := make([]adjudicator.TraceStep, 40)
	for i := range many {
		r := fmt.Sprintf("RULE-%d", i%35) // 35 distinct: the last 3 are not referred back to
		many[i] = adjudicator.TraceStep{Step: "edits", Rule: r, Format: "%s %s", Args: []adjudicator.TraceArg{text("DEDUCTIBLE"), text(r)}}
	}
	return map[string][]adjudicator.TraceStep{
		"fixture": {{Step: "s", Rule: "r", Reject: ncpdp.RejectRefillTooSoon, Format: "%s %d %s %s %s", Text: "o",
			Args: []adjudicator.TraceArg{text("a"), {Kind: adjudicator.ArgInt, Int: -3},
				{Kind: adjudicator.ArgDecimal, Dec: d("1.500")}, cents("2.5"), {Kind: adjudicator.ArgDate, Int: 20000}}}},
		"text":  {{Step: "s", Rule: "r", Text: "o"}, {Step: "eligibility", Text: "covered"}},
		"bench": benchTrace(),
		"long": {{Step: strings.Repeat("s", 31), Rule: strings.Repeat("r", 32), Format: strings.Repeat("%s ", 3000), Text: strings.Repeat("t", 8192),
			Args: []adjudicator.TraceArg{text(strings.Repeat("a", 127)), text(strings.Repeat("a", 127))}}},
		"many":    many,
		"unicode": {{Step: "é", Rule: "規則", Format: "%s ✓", Args: []adjudicator.TraceArg{text("ü"), text("規則"), text("")}}},
	}
}

// benchTrace is a bench mix claim's trace, as stored.
func benchTrace() []adjudicator.TraceStep {
	text := func(s string) adjudicator.TraceArg { return adjudicator.TraceArg{Kind: adjudicator.ArgText, Text: s} }
	cents := func(s string) adjudicator.TraceArg {
		return adjudicator.TraceArg{Kind: adjudicator.ArgCents, Dec: decimal.RequireFromString(s)}
	}
	edit := func(rule, kind, outcome string) adjudicator.TraceStep {
		return adjudicator.TraceStep{Step: "edits", Rule: rule, Format: "%s %s", Args: []adjudicator.TraceArg{text(kind), text(outcome)}}
	}
	sel := "selected (default rule, PLAN PPO-PLUS)"
	return []adjudicator.TraceStep{
		{Step: "syntax", Format: "all fields valid"},
		{Step: "duplicate", Format: "no paid claim under this key"},
		{Step: "eligibility", Rule: "PPO-PLUS", Format: "covered %s to %s", Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgDate, Int: 20089}, text("open")}},
		{Step: "pharmacy", Rule: "RETAIL-PREF", Format: "network %s", Args: []adjudicator.TraceArg{text("RETAIL/IN")}},
		{Step: "product", Rule: "PPO-PLUS", Format: "%s: tier %d, %s", Args: []adjudicator.TraceArg{text("Escitalopram Oxalate 10 mg Tablet"),
			{Kind: adjudicator.ArgInt, Int: 1}, text("GENERIC_MULTI_SOURCE")}},
		edit("BENCH-REFILL-TOO-SOON v1", "REFILL_TOO_SOON", "selected (default rule, PBM)"),
		edit("PPO-PLUS.deductible v1", "DEDUCTIBLE", sel),
		edit("PPO-PLUS.cost-share v1", "COST_SHARE", sel),
		edit("PPO-PLUS.out-of-pocket v1", "OUT_OF_POCKET", sel),
		{Step: "refill too soon", Rule: "BENCH-REFILL-TOO-SOON v1", Format: "no earlier fill in class %s", Args: []adjudicator.TraceArg{text("58160034100320")}},
		{Step: "pricing", Rule: "RETAIL-PREF", Format: "ingredient %s + fee %s = allowed %s (basis %s; AWP less %s%% = %s)",
			Args: []adjudicator.TraceArg{cents("1.5"), cents("2"), cents("3.5"), text("07"), {Kind: adjudicator.ArgDecimal, Dec: decimal.NewFromInt(80)}, cents("4.8")}},
		{Step: "deductible", Rule: "PPO-PLUS.deductible v1", Format: "%s remaining, %s applied", Args: []adjudicator.TraceArg{cents("100"), cents("3.5")}},
		{Step: "cost share", Rule: "PPO-PLUS.cost-share v1", Format: "%s on %s: copay %s, coinsurance %s",
			Args: []adjudicator.TraceArg{text("copay 10.00"), cents("0"), cents("0"), cents("0")}},
		{Step: "out of pocket", Rule: "PPO-PLUS.out-of-pocket v1", Format: "%s remaining", Args: []adjudicator.TraceArg{cents("2000")}},
	}
}

// BenchmarkTrace encodes and decodes a bench mix claim's trace in either
// binary form:
//
//	go test ./internal/store/records -run '^$' -bench Trace -benchmem
func BenchmarkTrace(b *testing.B) {
	trace := benchTrace()
	forms := []struct {
		name string
		enc  func() []byte
	}{
		{"first", func() []byte { return appendTrace(make([]byte, 0, 1200), trace, TraceFirstForm) }},
		{"second", func() []byte { return encodeTrace(trace, TraceCompact) }},
	}
	for _, f := range forms {
		b.Run("encode/"+f.name, func(b *testing.B) {
			for range b.N {
				f.enc()
			}
			b.ReportMetric(float64(len(f.enc())), "bytes")
		})
		enc := f.enc()
		b.Run("decode/"+f.name, func(b *testing.B) {
			for range b.N {
				if _, err := decodeTrace(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTraceRoundTrip: every test trace reads back exactly from the
// second form, which stays within traceSize (one allocation), and from
// the first form, which records written before it keep.
func TestTraceRoundTrip(t *testing.T) {
	for name, trace := range testTraces() {
		size := traceSize(trace)
		b := appendTrace(make([]byte, 0, size), trace, TraceCompact)
		if len(b) > size {
			t.Errorf("%s: %d bytes, traceSize %d", name, len(b), size)
		}
		if b[0] != 0 || b[1] != traceV1 {
			t.Errorf("%s: written in the first form", name)
		}
		old := appendTrace(nil, trace, TraceFirstForm) // its bytes pinned by TestClaimGolden
		for form, enc := range map[string][]byte{"second": b, "first": old} {
			got, err := decodeTrace(enc)
			if err != nil {
				t.Fatalf("%s, %s form: %v", name, form, err)
			}
			if diff := sameTrace(trace, got); diff != "" {
				t.Errorf("%s, %s form: %s", name, form, diff)
			}
		}
		if name == "bench" && len(b)*2 > len(old) {
			t.Errorf("bench trace: %d bytes, %d in the first form", len(b), len(old))
		}
	}
}

// TestTraceStringCodes: a string is written as a dictionary entry, as a
// reference to an earlier inline string, or inline, as trace.go says.
func TestTraceStringCodes(t *testing.T) {
	var w traceWriter
	var b []byte
	for _, s := range []string{"syntax", "PPO-PLUS", "RULE", "PPO-PLUS", "", "RULE", "syntax"} {
		b = w.str(b, s)
	}
	want := []byte{0<<1 | 1, 8 << 2}
	want = append(want, "PPO-PLUS"...)
	want = append(want, 4<<2)
	want = append(want, "RULE"...)
	want = append(want, 0<<2|2, 0, 1<<2|2, 0<<1|1)
	if !bytes.Equal(b, want) {
		t.Errorf("strings written as %x, want %x", b, want)
	}
}

// TestTraceDecodeErrors: damaged second-form traces fail to decode, each
// for its reason.
func TestTraceDecodeErrors(t *testing.T) {
	good := appendTrace(nil, testTraces()["bench"], TraceCompact)
	step := func(b ...byte) []byte { return append([]byte{0, traceV1, 1}, b...) } // one step
	noEntry := binary.AppendUvarint(nil, uint64(len(traceDictionary))<<1|1)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"no version", []byte{0}, "unknown binary form"},
		{"unknown version", []byte{0, 2, 1, 1, 0, 0, 0, 0, 0}, "unknown binary form"},
		{"too many steps", []byte{0, traceV1, 9, 1, 0, 0, 0, 0, 0}, "9 steps in 6 bytes"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"bytes after", append(append([]byte{}, good...), 0), "1 bytes after its end"},
		{"no such entry", step(append(noEntry, 0, 0, 0, 0, 0)...), fmt.Sprintf("no trace dictionary entry %d", len(traceDictionary))},
		{"nothing to refer to", step(0<<2|2, 0, 0, 0, 0, 0), "no inline string 0 to refer back to"},
		{"refer past strings", step(1<<2, 'x', 1<<2|2, 0, 0, 0, 0), "no inline string 1 to refer back to"},
		{"not UTF-8", step(1<<2, 0xff, 0, 0, 0, 0, 0), "not valid UTF-8"},
		{"unknown reject", step(1, 0, 2<<2, 'z', 'z', 0, 0, 0), `unknown reject code "zz"`},
		{"unknown kind", step(1, 0, 0, 0, 0, 1, 9), "unknown argument kind 9"},
	} {
		trace, err := decodeTrace(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %x decodes as %+v, %v; want an error %q", c.name, c.b, trace, err, c.want)
		}
	}
}

// TestTraceDictionary pins traceDictionary to testdata/trace_dictionary.txt
// (one quoted entry a line): a stored record's number must keep its
// string, so an entry may be appended, never changed, removed or moved.
// After appending, rewrite the file with -rewrite.
func TestTraceDictionary(t *testing.T) {
	seen := map[string]int{}
	for i, s := range traceDictionary {
		if j, ok := seen[s]; ok || s == "" {
			t.Errorf("trace dictionary entry %d %q is empty or repeats entry %d", i, s, j)
		}
		seen[s] = i
	}
	if uvarintLen((len(traceDictionary)-1)<<1|1) > 2 { // traceSize counts on it
		t.Errorf("%d trace dictionary entries: a code takes more than 2 bytes", len(traceDictionary))
	}
	const path = "testdata/trace_dictionary.txt"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var golden []string
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(b) == 0 {
		lines = nil
	}
	for i, line := range lines {
		s, err := strconv.Unquote(line)
		if err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		golden = append(golden, s)
	}
	for i, s := range golden {
		if i >= len(traceDictionary) || traceDictionary[i] != s {
			t.Fatalf("trace dictionary entry %d was %q and is no longer: stored records name it by its number; "+
				"restore it, and append a new string at the end", i, s)
		}
	}
	if len(traceDictionary) == len(golden) {
		return
	}
	if !*rewrite {
		t.Fatalf("%d trace dictionary entries are not in %s: rewrite it (go test ./internal/store/records -rewrite)",
			len(traceDictionary)-len(golden), path)
	}
	var out strings.Builder
	for _, s := range traceDictionary {
		out.WriteString(strconv.Quote(s) + "\n")
	}
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecodeTrace: a trace's bytes, however damaged, decode or fail with
// an error, never a panic; a trace that decodes writes a second form that
// reads back the same, and writes the same bytes again.
func FuzzDecodeTrace(f *testing.F) {
	for _, trace := range testTraces() {
		f.Add(appendTrace(nil, trace, TraceCompact))
		f.Add(appendTrace(nil, trace, TraceFirstForm))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		trace, err := decodeTrace(b)
		if err != nil {
			return
		}
		enc := appendTrace(make([]byte, 0, traceSize(trace)), trace, TraceCompact)
		if len(enc) > traceSize(trace) {
			t.Fatalf("%d bytes, traceSize %d", len(enc), traceSize(trace))
		}
		again, err := decodeTrace(enc)
		if err != nil {
			t.Fatalf("a re-encoded trace does not decode: %v", err)
		}
		if diff := sameTrace(trace, again); diff != "" {
			t.Fatalf("re-encoding changed the trace: %s", diff)
		}
		if enc2 := appendTrace(nil, again, TraceCompact); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable")
		}
	})
}
