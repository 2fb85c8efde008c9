package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/shopspring/decimal"
)

var (
	ctx      = context.Background()
	period   = domain.MustDate("2026-01-01")
	retailIn = domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	mailOut  = domain.Segment{Type: domain.Mail, Class: domain.OutOfNetwork}
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func open(t *testing.T, dir string, o store.Options) *store.Store {
	t.Helper()
	o.Dir = dir
	o.BlockCacheBytes = 1 << 20
	o.MemTableBytes = 1 << 20
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openTemp opens a store in a fresh directory, closed when the test ends.
func openTemp(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	s := open(t, t.TempDir(), o)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func family(id string, dob string) domain.Family {
	return domain.Family{CardholderID: id, GroupID: "G1", Members: []domain.Member{{
		PersonCode: "001", DateOfBirth: domain.MustDate(dob),
		Coverages: []domain.Coverage{{PlanID: "PPO", Range: domain.Range{From: domain.MustDate("2026-01-01")}}},
	}}}
}

func doc(entries ...any) *accumulators.Doc {
	d := &accumulators.Doc{}
	for i := 0; i < len(entries); i += 3 {
		d.Add(accumulators.Bucket{Kind: entries[i].(accumulators.Kind), Segment: entries[i+1].(domain.Segment)}, dec(entries[i+2].(string)))
	}
	return d
}

func docString(d *accumulators.Doc) string {
	if d == nil {
		return "<nil>"
	}
	var parts []string
	for _, e := range d.Entries {
		parts = append(parts, fmt.Sprintf("%s|%s|%s=%s", e.Kind, e.Level, e.Segment, e.Amount.StringFixed(4)))
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, " ") + "}"
}

func record(id, rx string, cardholder string) *adjudicator.ClaimRecord {
	claim := &adjudicator.Claim{BIN: "610999", PCN: "RXCLAIMS", CardholderID: cardholder, PersonCode: "001",
		DateOfBirth: "1980-01-01", DateOfService: "2026-04-01", RxNumber: rx, ProductID: "00093505698", Quantity: "30",
		DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: "1234567893", PrescriberNPI: "1000000053"}
	return &adjudicator.ClaimRecord{
		ID: id, Transaction: adjudicator.TxBill, Hash: "h-" + id, CardholderID: cardholder, PersonCode: "001", Period: period,
		Key:   adjudicator.ClaimKey{PharmacyNPI: "1234567893", RxNumber: rx, FillNumber: 0, DateOfService: "2026-04-01"},
		Claim: claim,
		Response: &adjudicator.Response{ClaimID: id, Status: adjudicator.Paid, Message: "PAID", TotalAllowed: dec("5.00"),
			IngredientCostPaid: dec("3.00"), DispensingFeePaid: dec("2.00"), PatientPay: dec("5.00"), Deductible: dec("5.00"),
			RemainingOutOfPocket: decimal.NullDecimal{Decimal: dec("495.00"), Valid: true}},
		Contributions: []accumulators.Contribution{
			{Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("5.00")},
			{Scope: accumulators.Family, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("5.00")},
		},
	}
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func TestCommitSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	fams := []domain.Family{family("SMITH01", "1980-01-01"), family("JONES01", "1990-05-05")}
	if err := s.PutFamilies(ctx, fams); err != nil {
		t.Fatal(err)
	}
	a, b := record("0001", "700001", "SMITH01"), record("0002", "700002", "SMITH01")
	member := doc(accumulators.Deductible, retailIn, "10.00", accumulators.RxCount, retailIn, "2")
	fam := doc(accumulators.Deductible, retailIn, "10.00", accumulators.PlanPaid, mailOut, "0.01")
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{a}, Index: a}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{b}, Index: b, Docs: []adjudicator.DocWrite{
		{Scope: accumulators.Member, ID: adjudicator.MemberID("SMITH01", "001"), Period: period, Doc: member},
		{Scope: accumulators.Family, ID: "SMITH01", Period: period, Doc: fam},
	}}); err != nil {
		t.Fatal(err)
	}
	// Reverse a: the record is updated in place; its key still points to it.
	reversed := *a
	reversed.Reversal = &adjudicator.ReversalRecord{Transaction: adjudicator.TxReverse, Hash: "r"}
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{&reversed}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir, store.Options{})
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, f := range fams {
		got, err := s.Family(ctx, f.CardholderID)
		if err != nil || got == nil {
			t.Fatalf("Family(%s) after reopen: %v, %v", f.CardholderID, got, err)
		}
		sameJSON(t, "family "+f.CardholderID, got, &f)
	}
	if got, err := s.Family(ctx, "NOBODY"); err != nil || got != nil {
		t.Errorf("Family(NOBODY) = %v, %v; want nil, nil", got, err)
	}
	for _, want := range []*adjudicator.ClaimRecord{&reversed, b} {
		got, err := s.Claim(want.ID)
		if err != nil || got == nil {
			t.Fatalf("Claim(%s) after reopen: %v, %v", want.ID, got, err)
		}
		sameJSON(t, "claim "+want.ID, got, want)
		byKey, err := s.ClaimByKey(ctx, want.Key)
		if err != nil || byKey == nil {
			t.Fatalf("ClaimByKey(%s) after reopen: %v, %v", want.Key, byKey, err)
		}
		sameJSON(t, "claim by key "+want.Key.String(), byKey, want)
	}
	if got, _ := s.ClaimByKey(ctx, adjudicator.ClaimKey{PharmacyNPI: "1234567893", RxNumber: "700001", DateOfService: "2026-04-02"}); got != nil {
		t.Errorf("ClaimByKey of an unknown key = %s", got.ID)
	}
	if got, _ := s.Claim("9999"); got != nil {
		t.Errorf("Claim(9999) = %+v", got)
	}
	if got, err := s.Accumulators(ctx, accumulators.Member, adjudicator.MemberID("SMITH01", "001"), period); err != nil || docString(got) != docString(member) {
		t.Errorf("member doc after reopen = %s, %v; want %s", docString(got), err, docString(member))
	}
	if got, err := s.Accumulators(ctx, accumulators.Family, "SMITH01", period); err != nil || docString(got) != docString(fam) {
		t.Errorf("family doc after reopen = %s, %v; want %s", docString(got), err, docString(fam))
	}
	// Scope, ID and period are all part of a document's identity.
	for _, ref := range []struct {
		scope  accumulators.Scope
		id     string
		period domain.Date
	}{
		{accumulators.Family, adjudicator.MemberID("SMITH01", "001"), period},
		{accumulators.Member, "SMITH01", period},
		{accumulators.Member, adjudicator.MemberID("SMITH01", "001"), domain.MustDate("2025-01-01")},
		{accumulators.Member, adjudicator.MemberID("SMITH01", "002"), period},
	} {
		if got, err := s.Accumulators(ctx, ref.scope, ref.id, ref.period); err != nil || got == nil || len(got.Entries) != 0 {
			t.Errorf("Accumulators(%s, %s, %s) = %s, %v; want an empty doc", ref.scope, ref.id, ref.period, docString(got), err)
		}
	}
}

// TestDocumentCacheIsolation: a caller's changes to a document it read are
// never seen by the next reader unless committed, whether the read came from
// disk or from the cache; a commit is seen by the next read.
func TestDocumentCacheIsolation(t *testing.T) {
	for _, size := range []int{0, 1} { // default cache, and one that evicts on every other document
		t.Run(fmt.Sprintf("cache=%d", size), func(t *testing.T) {
			s := openTemp(t, store.Options{DocumentCacheSize: size})
			id := adjudicator.MemberID("SMITH01", "001")
			committed := doc(accumulators.Deductible, retailIn, "10.00")
			if err := s.Commit(ctx, &adjudicator.Commit{Docs: []adjudicator.DocWrite{{Scope: accumulators.Member, ID: id, Period: period, Doc: committed.Clone()}}}); err != nil {
				t.Fatal(err)
			}
			want := docString(committed)
			read := func() *accumulators.Doc {
				t.Helper()
				d, err := s.Accumulators(ctx, accumulators.Member, id, period)
				if err != nil {
					t.Fatal(err)
				}
				if docString(d) != want {
					t.Fatalf("Accumulators = %s, want %s", docString(d), want)
				}
				return d
			}
			for i := range 3 {
				d := read()
				// Change the copy every way Doc allows, and never commit it.
				d.Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, dec("-10.00")) // drops the entry
				d.Add(accumulators.Bucket{Kind: accumulators.OutOfPocket, Segment: retailIn}, dec("99"))
				d.Entries = append(d.Entries, accumulators.Entry{Bucket: accumulators.Bucket{Kind: accumulators.RxCount, Segment: mailOut}, Amount: dec("1")})
				if i == 1 {
					// Read another document in between, which evicts with a cache of one.
					if _, err := s.Accumulators(ctx, accumulators.Family, "SMITH01", period); err != nil {
						t.Fatal(err)
					}
				}
			}
			// A never-written document also comes back fresh each time.
			empty, err := s.Accumulators(ctx, accumulators.Member, "OTHER:001", period)
			if err != nil {
				t.Fatal(err)
			}
			empty.Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, dec("5"))
			if again, _ := s.Accumulators(ctx, accumulators.Member, "OTHER:001", period); len(again.Entries) != 0 {
				t.Errorf("uncommitted change to a new document is visible: %s", docString(again))
			}

			// A commit replaces what the cache holds.
			d := read()
			d.Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, dec("2.50"))
			if err := s.Commit(ctx, &adjudicator.Commit{Docs: []adjudicator.DocWrite{{Scope: accumulators.Member, ID: id, Period: period, Doc: d}}}); err != nil {
				t.Fatal(err)
			}
			want = docString(doc(accumulators.Deductible, retailIn, "12.50"))
			read()
			read().Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, dec("1"))
			read()
		})
	}
}

func TestDocumentCacheHits(t *testing.T) {
	s := openTemp(t, store.Options{})
	stats := func() store.CacheStats {
		for _, c := range s.CacheStats() {
			if c.Name == "accumulators" {
				return c
			}
		}
		t.Fatal("no accumulators cache stats")
		return store.CacheStats{}
	}
	before := stats()
	for range 3 {
		if _, err := s.Accumulators(ctx, accumulators.Member, "A:001", period); err != nil {
			t.Fatal(err)
		}
	}
	after := stats()
	if after.Misses-before.Misses != 1 || after.Hits-before.Hits != 2 {
		t.Errorf("three reads of one document: %d misses, %d hits; want 1 and 2", after.Misses-before.Misses, after.Hits-before.Hits)
	}
}

func TestPutFamiliesReplacesCached(t *testing.T) {
	for _, size := range []int{0, 1} {
		t.Run(fmt.Sprintf("cache=%d", size), func(t *testing.T) {
			s := openTemp(t, store.Options{FamilyCacheSize: size})
			if err := s.PutFamilies(ctx, []domain.Family{family("SMITH01", "1980-01-01"), family("JONES01", "1990-05-05")}); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second read is served from the cache
				f, err := s.Family(ctx, "SMITH01")
				if err != nil || f == nil || f.Members[0].DateOfBirth != domain.MustDate("1980-01-01") {
					t.Fatalf("Family(SMITH01) = %+v, %v", f, err)
				}
			}
			v2 := family("SMITH01", "1981-01-01")
			v2.GroupID = "G2"
			v2.Members = append(v2.Members, domain.Member{PersonCode: "002", DateOfBirth: domain.MustDate("1982-02-02")})
			if err := s.PutFamilies(ctx, []domain.Family{v2}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				f, err := s.Family(ctx, "SMITH01")
				if err != nil || f == nil {
					t.Fatalf("Family(SMITH01) = %v, %v", f, err)
				}
				sameJSON(t, "replaced family", f, &v2)
			}
			// The other family is untouched.
			if f, err := s.Family(ctx, "JONES01"); err != nil || f == nil || f.Members[0].DateOfBirth != domain.MustDate("1990-05-05") {
				t.Errorf("Family(JONES01) = %+v, %v", f, err)
			}
			// Nothing is cached for an absent family: writing it later is seen.
			if f, _ := s.Family(ctx, "LATE01"); f != nil {
				t.Fatalf("Family(LATE01) = %+v before it was written", f)
			}
			if err := s.PutFamilies(ctx, []domain.Family{family("LATE01", "1970-05-05")}); err != nil {
				t.Fatal(err)
			}
			if f, _ := s.Family(ctx, "LATE01"); f == nil {
				t.Errorf("Family(LATE01) = nil after it was written")
			}
		})
	}
}

func TestForEach(t *testing.T) {
	s := openTemp(t, store.Options{})
	var want []string
	for i := range 25 {
		r := record(fmt.Sprintf("%04x", 1000-i*7), fmt.Sprint(800000+i), "SMITH01") // written out of ID order
		want = append(want, r.ID)
		if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(want)
	var got []string
	if err := s.ForEachClaim(func(r *adjudicator.ClaimRecord) error {
		if r.Claim == nil || r.Response == nil || len(r.Contributions) != 2 {
			t.Errorf("claim %s read back incomplete: %+v", r.ID, r)
		}
		got = append(got, r.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ForEachClaim visited %v\nwant (in ID order) %v", got, want)
	}
	stop := fmt.Errorf("stop")
	n := 0
	if err := s.ForEachClaim(func(*adjudicator.ClaimRecord) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("ForEachClaim did not stop on the callback's error: %v after %d", err, n)
	}

	type ref struct {
		scope  accumulators.Scope
		id     string
		period string
	}
	docs := map[ref]*accumulators.Doc{
		{accumulators.Member, "SMITH01:001", "2026-01-01"}:    doc(accumulators.Deductible, retailIn, "10"),
		{accumulators.Member, "SMITH01:002", "2026-01-01"}:    doc(accumulators.OutOfPocket, mailOut, "20.5"),
		{accumulators.Family, "SMITH01", "2026-01-01"}:        doc(accumulators.Deductible, retailIn, "10", accumulators.OutOfPocket, mailOut, "20.5"),
		{accumulators.Member, "SMITH01:001", "2025-07-01"}:    doc(accumulators.RxCount, retailIn, "3"),
		{accumulators.Family, "ID:WITH:COLONS", "2026-07-01"}: doc(accumulators.PlanPaid, retailIn, "1.23"),
		{accumulators.Member, "EMPTY:001", "2026-01-01"}:      {},
	}
	var writes []adjudicator.DocWrite
	for r, d := range docs {
		writes = append(writes, adjudicator.DocWrite{Scope: r.scope, ID: r.id, Period: domain.MustDate(r.period), Doc: d})
	}
	if err := s.Commit(ctx, &adjudicator.Commit{Docs: writes}); err != nil {
		t.Fatal(err)
	}
	seen := map[ref]bool{}
	if err := s.ForEachDocument(func(d store.StoredDocument) error {
		r := ref{d.Scope, d.ID, d.Period.String()}
		want, ok := docs[r]
		switch {
		case !ok:
			t.Errorf("ForEachDocument visited unknown document %+v", r)
		case seen[r]:
			t.Errorf("ForEachDocument visited %+v twice", r)
		case docString(d.Doc) != docString(want):
			t.Errorf("document %+v = %s, want %s", r, docString(d.Doc), docString(want))
		}
		seen[r] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for r := range docs {
		if !seen[r] {
			t.Errorf("ForEachDocument missed %+v", r)
		}
	}
}

// TestRemoveFamily: a family without paid claims is deleted (cache too, and
// across a reopen); deleting an absent one is a no-op; a family with a paid
// claim in its history is refused and unchanged until the claim is reversed.
func TestRemoveFamily(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	if err := s.PutFamilies(ctx, []domain.Family{family("A1", "1980-01-01"), family("A10", "1981-01-01")}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFamily(ctx, "NOBODY"); err != nil {
		t.Fatalf("removing an absent family: %v", err)
	}
	paid := record("0001", "700001", "A1")
	h := &adjudicator.HistoryEntry{ClaimID: paid.ID, DateOfService: domain.MustDate("2026-04-01")}
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{paid}, Index: paid, History: h}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFamily(ctx, "A1"); !errors.Is(err, adjudicator.ErrFamilyHasClaims) {
		t.Fatalf("removing a family with a paid claim: %v, want ErrFamilyHasClaims", err)
	}
	if got, err := s.Family(ctx, "A1"); err != nil || got == nil {
		t.Fatalf("the refused family: %v, %v", got, err)
	}
	if got, err := s.Family(ctx, "A10"); err != nil || got == nil { // cached before the delete
		t.Fatalf("A10 before removal: %v, %v", got, err)
	}
	for range 2 {
		if err := s.RemoveFamily(ctx, "A10"); err != nil {
			t.Fatalf("removing A10 (whose ID extends A1's, which has claims): %v", err)
		}
		if got, err := s.Family(ctx, "A10"); err != nil || got != nil {
			t.Fatalf("A10 after removal: %v, %v", got, err)
		}
	}
	reversed := *paid
	reversed.Reversal = &adjudicator.ReversalRecord{Transaction: adjudicator.TxReverse, Hash: "r"}
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{&reversed}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFamily(ctx, "A1"); err != nil {
		t.Fatalf("removing A1 once its claim is reversed: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, store.Options{})
	defer s.Close()
	for _, id := range []string{"A1", "A10"} {
		if got, err := s.Family(ctx, id); err != nil || got != nil {
			t.Errorf("%s after reopen: %v, %v", id, got, err)
		}
	}
}
