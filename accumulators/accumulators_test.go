package accumulators_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var (
	retailIn  = domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	retailOut = domain.Segment{Type: domain.Retail, Class: domain.OutOfNetwork}
	mailIn    = domain.Segment{Type: domain.Mail, Class: domain.InNetwork}
	specIn    = domain.Segment{Type: domain.Specialty, Class: domain.InNetwork}
)

func bucket(k accumulators.Kind, level string, s domain.Segment) accumulators.Bucket {
	return accumulators.Bucket{Kind: k, Level: level, Segment: s}
}

// docString renders a doc in entry order, amounts normalised, for messages.
func docString(d *accumulators.Doc) string {
	var b bytes.Buffer
	for _, e := range d.Entries {
		fmt.Fprintf(&b, "[%s %q %s %s] ", e.Kind, e.Level, e.Segment, e.Amount)
	}
	return b.String()
}

// sameDoc reports whether a and b hold the same entries in the same order,
// amounts compared as numbers.
func sameDoc(a, b *accumulators.Doc) bool {
	if len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		if a.Entries[i].Bucket != b.Entries[i].Bucket || !a.Entries[i].Amount.Equal(b.Entries[i].Amount) {
			return false
		}
	}
	return true
}

// sameBalances reports whether a and b hold the same non-zero buckets in any order.
func sameBalances(a, b *accumulators.Doc) bool {
	seen := map[accumulators.Bucket]bool{}
	for _, e := range a.Entries {
		if e.Amount.IsZero() {
			continue
		}
		if !b.Get(e.Bucket).Equal(e.Amount) {
			return false
		}
		seen[e.Bucket] = true
	}
	for _, e := range b.Entries {
		if !e.Amount.IsZero() && !seen[e.Bucket] {
			return false
		}
	}
	return true
}

func TestDocAddGet(t *testing.T) {
	var d accumulators.Doc
	ded := bucket(accumulators.Deductible, "", retailIn)
	if !d.Get(ded).IsZero() {
		t.Fatal("empty doc has a value")
	}
	if got := d.Add(ded, dec("10.00")); !got.Equal(dec("10")) {
		t.Errorf("Add returned %s", got)
	}
	if got := d.Add(ded, dec("5.25")); !got.Equal(dec("15.25")) {
		t.Errorf("Add returned %s", got)
	}
	if !d.Get(ded).Equal(dec("15.25")) {
		t.Errorf("Get = %s", d.Get(ded))
	}
	// Buckets differ by kind, level and segment.
	for _, other := range []accumulators.Bucket{
		bucket(accumulators.OutOfPocket, "", retailIn),
		bucket(accumulators.Deductible, "GENERICS", retailIn),
		bucket(accumulators.Deductible, "", retailOut),
		bucket(accumulators.Deductible, "", mailIn),
	} {
		if !d.Get(other).IsZero() {
			t.Errorf("Get(%+v) = %s, want 0", other, d.Get(other))
		}
	}
	// Adding zero to a missing bucket stores nothing.
	d.Add(bucket(accumulators.RxCount, "", retailIn), decimal.Zero)
	if len(d.Entries) != 1 {
		t.Errorf("adding zero created an entry: %s", docString(&d))
	}
	// A bucket that reaches zero is dropped, whatever its scale.
	oop := bucket(accumulators.OutOfPocket, "", retailIn)
	d.Add(oop, dec("3.10"))
	if got := d.Add(ded, dec("-15.250")); !got.IsZero() {
		t.Errorf("Add to zero returned %s", got)
	}
	if len(d.Entries) != 1 || d.Entries[0].Bucket != oop {
		t.Errorf("zero bucket kept: %s", docString(&d))
	}
	if d.Add(oop, dec("-3.1")); len(d.Entries) != 0 {
		t.Errorf("zero bucket kept: %s", docString(&d))
	}
}

func TestDocTotal(t *testing.T) {
	var d accumulators.Doc
	d.Add(bucket(accumulators.Deductible, "", retailIn), dec("10"))
	d.Add(bucket(accumulators.Deductible, "", retailOut), dec("20"))
	d.Add(bucket(accumulators.Deductible, "", mailIn), dec("40"))
	d.Add(bucket(accumulators.Deductible, "", specIn), dec("80"))
	d.Add(bucket(accumulators.Deductible, "GENERICS", retailIn), dec("1000"))
	d.Add(bucket(accumulators.OutOfPocket, "", retailIn), dec("2000"))

	advanced := edits.Accumulation{Mode: edits.Advanced,
		NetworkTypes: []domain.NetworkType{domain.Retail, domain.Mail}, Classes: []domain.NetworkClass{domain.InNetwork}}
	for _, tc := range []struct {
		name  string
		level string
		acc   edits.Accumulation
		claim domain.Segment
		want  string
	}{
		{"default retail/in", "", edits.Accumulation{}, retailIn, "10"},
		{"default retail/out", "", edits.Accumulation{}, retailOut, "20"},
		{"default retail90/in", "", edits.Accumulation{}, domain.Segment{Type: domain.Retail90, Class: domain.InNetwork}, "0"},
		{"advanced retail+mail/in", "", advanced, specIn, "50"},
		{"plan", "", edits.Accumulation{Mode: edits.PlanAccumulation}, retailIn, "150"},
		{"level", "GENERICS", edits.Accumulation{Mode: edits.PlanAccumulation}, retailIn, "1000"},
	} {
		if got := d.Total(accumulators.Deductible, tc.level, tc.acc, tc.claim); !got.Equal(dec(tc.want)) {
			t.Errorf("%s: Total = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestDocClone(t *testing.T) {
	var nilDoc *accumulators.Doc
	if c := nilDoc.Clone(); c == nil || len(c.Entries) != 0 {
		t.Errorf("nil.Clone() = %v", c)
	}
	var d accumulators.Doc
	a, b := bucket(accumulators.Deductible, "", retailIn), bucket(accumulators.OutOfPocket, "", retailIn)
	d.Add(a, dec("1"))
	d.Add(b, dec("2"))
	c := d.Clone()
	c.Add(a, dec("-1")) // drops the first entry of the clone, shifting its slice
	c.Add(b, dec("5"))
	c.Add(bucket(accumulators.RxCount, "", retailIn), dec("1"))
	if !d.Get(a).Equal(dec("1")) || !d.Get(b).Equal(dec("2")) || len(d.Entries) != 2 {
		t.Errorf("changing the clone changed the original: %s", docString(&d))
	}
}

func sampleDoc() *accumulators.Doc {
	d := &accumulators.Doc{}
	d.Add(bucket(accumulators.Deductible, "", retailIn), dec("100.00"))
	d.Add(bucket(accumulators.OutOfPocket, "", retailIn), dec("135.5"))
	d.Add(bucket(accumulators.PlanPaid, "", mailIn), dec("106.50"))
	d.Add(bucket(accumulators.RxCount, "", specIn), dec("3"))
	d.Add(bucket(accumulators.Deductible, "GENERICS", retailOut), dec("0.01"))
	d.Add(bucket(accumulators.OutOfPocket, "lévél with ünicode and \x00 nul", domain.Segment{Type: domain.Retail90, Class: domain.OutOfNetwork}), dec("12345678901234567890.123456789"))
	return d
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, d := range []*accumulators.Doc{{}, sampleDoc()} {
		b := d.Encode()
		got, err := accumulators.Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%s)): %v", docString(d), err)
		}
		if !sameDoc(d, got) {
			t.Errorf("round trip:\n got %s\nwant %s", docString(got), docString(d))
		}
		if !bytes.Equal(got.Encode(), b) {
			t.Errorf("re-encoding differs")
		}
	}
}

func TestDecodeRejectsCorrupt(t *testing.T) {
	good := sampleDoc().Encode()
	if _, err := accumulators.Decode(good); err != nil {
		t.Fatal(err)
	}
	// Every proper prefix is truncated.
	for n := 0; n < len(good); n++ {
		if d, err := accumulators.Decode(good[:n]); err == nil {
			t.Errorf("Decode of the first %d of %d bytes succeeded: %s", n, len(good), docString(d))
		}
	}
	entry := func(kind, typ, class byte, level, amount string) []byte {
		b := []byte{kind, typ, class}
		b = binary.AppendUvarint(b, uint64(len(level)))
		b = append(b, level...)
		b = binary.AppendUvarint(b, uint64(len(amount)))
		return append(b, amount...)
	}
	doc := func(count uint64, entries ...[]byte) []byte {
		b := binary.AppendUvarint([]byte{1}, count)
		for _, e := range entries {
			b = append(b, e...)
		}
		return b
	}
	ok := entry(1, 1, 1, "", "10.00")
	if d, err := accumulators.Decode(doc(1, ok)); err != nil || !d.Get(bucket(accumulators.Deductible, "", retailIn)).Equal(dec("10")) {
		t.Fatalf("hand-built document: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":               nil,
		"version 0":           append([]byte{0}, doc(1, ok)[1:]...),
		"version 2":           append([]byte{2}, doc(1, ok)[1:]...),
		"trailing byte":       append(doc(1, ok), 0),
		"trailing entry":      doc(1, ok, ok),
		"count too high":      doc(2, ok),
		"huge count":          doc(1<<62, ok),
		"bad count varint":    {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"kind 0":              doc(1, entry(0, 1, 1, "", "1")),
		"kind 6":              doc(1, entry(6, 1, 1, "", "1")),
		"network type 0":      doc(1, entry(1, 0, 1, "", "1")),
		"network type 5":      doc(1, entry(1, 5, 1, "", "1")),
		"network class 0":     doc(1, entry(1, 1, 0, "", "1")),
		"network class 3":     doc(1, entry(1, 1, 3, "", "1")),
		"amount not a number": doc(1, entry(1, 1, 1, "", "ten")),
		"empty amount":        doc(1, entry(1, 1, 1, "", "")),
		"level too long":      append(doc(1, []byte{1, 1, 1}), binary.AppendUvarint(nil, 1000)...),
		"amount too long":     append(doc(1, []byte{1, 1, 1, 0}), binary.AppendUvarint(nil, 1<<40)...),
	} {
		if d, err := accumulators.Decode(b); err == nil {
			t.Errorf("%s: Decode succeeded: %s", name, docString(d))
		}
	}
}

func TestApplyRemoveRestores(t *testing.T) {
	member, family := sampleDoc(), &accumulators.Doc{}
	family.Add(bucket(accumulators.Deductible, "", retailIn), dec("40"))
	before := accumulators.Docs{Member: member.Clone(), Family: family.Clone()}
	docs := accumulators.Docs{Member: member, Family: family}
	cs := []accumulators.Contribution{
		{Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("25.00")},
		{Scope: accumulators.Member, Kind: accumulators.OutOfPocket, Segment: retailIn, Amount: dec("35.10")},
		{Scope: accumulators.Member, Kind: accumulators.RxCount, Segment: retailOut, Amount: dec("1")},
		{Scope: accumulators.Member, Kind: accumulators.Deductible, Level: "GENERICS", Segment: retailIn, Amount: dec("10")},
		{Scope: accumulators.Family, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("25.00")},
		{Scope: accumulators.Family, Kind: accumulators.PlanPaid, Segment: mailIn, Amount: dec("0.07")},
	}
	docs.Apply(cs)
	if got := member.Get(bucket(accumulators.Deductible, "", retailIn)); !got.Equal(dec("125")) {
		t.Errorf("member deductible after Apply = %s, want 125", got)
	}
	if got := family.Get(bucket(accumulators.Deductible, "", retailIn)); !got.Equal(dec("65")) {
		t.Errorf("family deductible after Apply = %s, want 65", got)
	}
	if got := family.Get(bucket(accumulators.PlanPaid, "", mailIn)); !got.Equal(dec("0.07")) {
		t.Errorf("family plan paid after Apply = %s", got)
	}
	if got := member.Get(bucket(accumulators.PlanPaid, "", mailIn)); !got.Equal(dec("106.50")) {
		t.Errorf("a family contribution reached the member doc: %s", got)
	}
	if err := docs.Remove(cs); err != nil {
		t.Fatal(err)
	}
	if !sameBalances(member, before.Member) {
		t.Errorf("member after Apply+Remove:\n got %s\nwant %s", docString(member), docString(before.Member))
	}
	if !sameBalances(family, before.Family) {
		t.Errorf("family after Apply+Remove:\n got %s\nwant %s", docString(family), docString(before.Family))
	}
	for _, d := range []*accumulators.Doc{member, family} {
		for _, e := range d.Entries {
			if e.Amount.IsZero() {
				t.Errorf("zero bucket kept after Remove: %s", docString(d))
			}
		}
	}

	// Applying to empty docs and removing leaves them empty.
	empty := accumulators.Docs{Member: &accumulators.Doc{}, Family: &accumulators.Doc{}}
	empty.Apply(cs)
	if err := empty.Remove(cs); err != nil {
		t.Fatal(err)
	}
	if len(empty.Member.Entries)+len(empty.Family.Entries) != 0 {
		t.Errorf("Apply+Remove on empty docs left %s / %s", docString(empty.Member), docString(empty.Family))
	}
}

func TestRemoveNegative(t *testing.T) {
	docs := accumulators.Docs{Member: &accumulators.Doc{}, Family: &accumulators.Doc{}}
	docs.Member.Add(bucket(accumulators.Deductible, "", retailIn), dec("10"))
	for name, c := range map[string]accumulators.Contribution{
		"more than stored":         {Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("10.01")},
		"missing bucket":           {Scope: accumulators.Member, Kind: accumulators.OutOfPocket, Segment: retailIn, Amount: dec("1")},
		"other segment":            {Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: retailOut, Amount: dec("1")},
		"family where only member": {Scope: accumulators.Family, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("1")},
	} {
		d := accumulators.Docs{Member: docs.Member.Clone(), Family: docs.Family.Clone()}
		if err := d.Remove([]accumulators.Contribution{c}); err == nil {
			t.Errorf("%s: Remove succeeded: member %s family %s", name, docString(d.Member), docString(d.Family))
		}
	}
	// Removing exactly what is there succeeds and empties the bucket.
	d := accumulators.Docs{Member: docs.Member.Clone(), Family: docs.Family.Clone()}
	if err := d.Remove([]accumulators.Contribution{{Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("10.00")}}); err != nil {
		t.Fatal(err)
	}
	if len(d.Member.Entries) != 0 {
		t.Errorf("bucket not emptied: %s", docString(d.Member))
	}
}

func TestKindScopeText(t *testing.T) {
	for _, k := range []accumulators.Kind{accumulators.Deductible, accumulators.OutOfPocket, accumulators.PlanPaid, accumulators.RxCount} {
		b, _ := k.MarshalText()
		var back accumulators.Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("round trip of %s: %s, %v", k, back, err)
		}
	}
	var k accumulators.Kind
	for _, s := range []string{"", "Kind(0)", "deductible"} {
		if err := k.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("Kind.UnmarshalText(%q) succeeded", s)
		}
	}
	for _, s := range []accumulators.Scope{accumulators.Member, accumulators.Family} {
		b, _ := s.MarshalText()
		var back accumulators.Scope
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("round trip of %s: %s, %v", s, back, err)
		}
	}
}

// namedKind reports whether k is one of the accumulator kinds: its text
// name parses back to k.
func namedKind(k accumulators.Kind) bool {
	text, err := k.MarshalText()
	if err != nil {
		return false
	}
	var back accumulators.Kind
	return back.UnmarshalText(text) == nil && back == k
}

func FuzzDecode(f *testing.F) {
	f.Add(sampleDoc().Encode())
	f.Add((&accumulators.Doc{}).Encode())
	f.Add([]byte{})
	f.Add([]byte{1, 1, 1, 1, 1, 0, 3, '1', 'e', '3'})
	f.Add([]byte{1, 1, 4, 2, 2, 1, 'X', 4, '-', '0', '.', '5'})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := accumulators.Decode(b)
		if err != nil {
			if d != nil {
				t.Fatalf("Decode returned a doc and an error %v", err)
			}
			return
		}
		for _, e := range d.Entries {
			// A kind is valid when its name reads back as itself, so the
			// oracle follows the list of kinds instead of restating it.
			if !e.Segment.Valid() || !namedKind(e.Kind) {
				t.Fatalf("Decode accepted an invalid bucket %+v", e.Bucket)
			}
		}
		enc := d.Encode()
		d2, err := accumulators.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded doc %s does not decode: %v", docString(d), err)
		}
		if !sameDoc(d, d2) {
			t.Fatalf("re-encode changed the doc:\n got %s\nwant %s", docString(d2), docString(d))
		}
		if enc2 := d2.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %x vs %x", enc, enc2)
		}
	})
}
