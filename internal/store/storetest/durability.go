package storetest

import (
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

// reopenFixture is what testCommitSurvivesReopen writes before reopening.
type reopenFixture struct {
	families    []domain.Family
	claims      []*adjudicator.ClaimRecord // as last committed
	member, fam *accumulators.Doc
}

// writeReopenFixture writes families, two claims (the first then
// reversed) and a member and family document.
func writeReopenFixture(t *testing.T, s Store) reopenFixture {
	t.Helper()
	f := reopenFixture{
		families: []domain.Family{Family("SMITH01", "1980-01-01"), Family("JONES01", "1990-05-05")},
		member:   Doc(accumulators.Deductible, retailIn, "10.00", accumulators.RxCount, retailIn, "2"),
		fam:      Doc(accumulators.Deductible, retailIn, "10.00", accumulators.PlanPaid, mailOut, "0.01"),
	}
	putFamilies(t, s, f.families...)
	a, b := Record("0001", "700001", "SMITH01"), Record("0002", "700002", "SMITH01")
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{a}, Index: a})
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{b}, Index: b, Docs: []adjudicator.DocWrite{
		{Scope: accumulators.Member, ID: adjudicator.MemberID("SMITH01", "001"), Period: Period, Doc: f.member},
		{Scope: accumulators.Family, ID: "SMITH01", Period: Period, Doc: f.fam},
	}})
	// Reverse a: the record is updated in place; its key still points to it.
	ra := reversed(a)
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{ra}})
	f.claims = []*adjudicator.ClaimRecord{ra, b}
	return f
}

func testCommitSurvivesReopen(t *testing.T, open Open) {
	s, reopen := open(t)
	f := writeReopenFixture(t, s)
	s = reopen()
	for _, fam := range f.families {
		got, err := s.Family(ctx, fam.CardholderID)
		if err != nil || got == nil {
			t.Fatalf("Family(%s) after reopen: %v, %v", fam.CardholderID, got, err)
		}
		SameJSON(t, "family "+fam.CardholderID, got, &fam)
	}
	for _, want := range f.claims {
		got, err := s.Claim(want.ID)
		if err != nil || got == nil {
			t.Fatalf("Claim(%s) after reopen: %v, %v", want.ID, got, err)
		}
		SameJSON(t, "claim "+want.ID, got, want)
		byKey, err := s.ClaimByKey(ctx, want.Key)
		if err != nil || byKey == nil {
			t.Fatalf("ClaimByKey(%s) after reopen: %v, %v", want.Key, byKey, err)
		}
		SameJSON(t, "claim by key "+want.Key.String(), byKey, want)
	}
	if got := readDoc(t, s, accumulators.Member, adjudicator.MemberID("SMITH01", "001"), Period); DocString(got) != DocString(f.member) {
		t.Errorf("member doc after reopen = %s; want %s", DocString(got), DocString(f.member))
	}
	if got := readDoc(t, s, accumulators.Family, "SMITH01", Period); DocString(got) != DocString(f.fam) {
		t.Errorf("family doc after reopen = %s; want %s", DocString(got), DocString(f.fam))
	}
}

// testAbsentIsNil: lookups of what was never stored return nil (or an
// empty document) and no error.
func testAbsentIsNil(t *testing.T, open Open) {
	s, _ := open(t)
	r := Record("0001", "700001", "SMITH01")
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r})
	if got, err := s.Family(ctx, "NOBODY"); err != nil || got != nil {
		t.Errorf("Family(NOBODY) = %v, %v; want nil, nil", got, err)
	}
	if got, err := s.ClaimByKey(ctx, adjudicator.ClaimKey{PharmacyNPI: "1234567893", RxNumber: "700001", DateOfService: "2026-04-02"}); err != nil || got != nil {
		t.Errorf("ClaimByKey of an unknown key = %v, %v; want nil, nil", got, err)
	}
	if got, err := s.Claim("9999"); err != nil || got != nil {
		t.Errorf("Claim(9999) = %+v, %v; want nil, nil", got, err)
	}
	if got, err := s.History(ctx, "NOBODY", "001", Period, domain.MustDate("2026-12-31")); err != nil || len(got) != 0 {
		t.Errorf("History(NOBODY) = %v, %v; want none", got, err)
	}
	if got := readDoc(t, s, accumulators.Member, "NOBODY:001", Period); len(got.Entries) != 0 {
		t.Errorf("Accumulators of an unknown document = %s; want empty", DocString(got))
	}
}

// testDocumentIdentity: scope, ID and period are all part of a document's
// identity.
func testDocumentIdentity(t *testing.T, open Open) {
	s, _ := open(t)
	member := adjudicator.MemberID("SMITH01", "001")
	commit(t, s, &adjudicator.Commit{Docs: []adjudicator.DocWrite{
		{Scope: accumulators.Member, ID: member, Period: Period, Doc: Doc(accumulators.Deductible, retailIn, "1")},
		{Scope: accumulators.Family, ID: "SMITH01", Period: Period, Doc: Doc(accumulators.Deductible, retailIn, "2")},
	}})
	for _, ref := range []struct {
		scope  accumulators.Scope
		id     string
		period domain.Date
	}{
		{accumulators.Family, member, Period},
		{accumulators.Member, "SMITH01", Period},
		{accumulators.Member, member, domain.MustDate("2025-01-01")},
		{accumulators.Member, adjudicator.MemberID("SMITH01", "002"), Period},
	} {
		if got := readDoc(t, s, ref.scope, ref.id, ref.period); len(got.Entries) != 0 {
			t.Errorf("Accumulators(%s, %s, %s) = %s; want an empty doc", ref.scope, ref.id, ref.period, DocString(got))
		}
	}
}
