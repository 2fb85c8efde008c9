package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/storetest"
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

var (
	doc       = storetest.Doc
	docString = storetest.DocString
	record    = storetest.Record
)

// TestConformance runs the contract's suite with the default caches, and
// with caches of one entry (a summary cache of 4 KiB), which evict on
// nearly every read.
func TestConformance(t *testing.T) {
	for _, size := range []int{0, 1} {
		t.Run(fmt.Sprintf("cache=%d", size), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
				o := store.Options{FamilyCacheSize: size, DocumentCacheSize: size, SummaryCacheBytes: int64(size) << 12}
				dir := t.TempDir()
				s := open(t, dir, o)
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Error(err)
					}
				})
				return s, func() storetest.Store {
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
					s = open(t, dir, o)
					return s
				}
			})
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
