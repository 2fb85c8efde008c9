package storetest

import (
	"errors"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

func family(t *testing.T, s Store, id string) *domain.Family {
	t.Helper()
	f, err := s.Family(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// testPutFamiliesReplaces: a put family replaces the one read before (also
// when a read cached it), leaves the others, and a family read as absent
// is found once put.
func testPutFamiliesReplaces(t *testing.T, open Open) {
	s, _ := open(t)
	putFamilies(t, s, Family("SMITH01", "1980-01-01"), Family("JONES01", "1990-05-05"))
	for range 2 { // the second read may be served from a cache
		if f := family(t, s, "SMITH01"); f == nil || f.Members[0].DateOfBirth != domain.MustDate("1980-01-01") {
			t.Fatalf("Family(SMITH01) = %+v", f)
		}
	}
	v2 := Family("SMITH01", "1981-01-01")
	v2.GroupID = "G2"
	v2.Members = append(v2.Members, domain.Member{PersonCode: "002", DateOfBirth: domain.MustDate("1982-02-02")})
	putFamilies(t, s, v2)
	for range 2 {
		SameJSON(t, "replaced family", family(t, s, "SMITH01"), &v2)
	}
	if f := family(t, s, "JONES01"); f == nil || f.Members[0].DateOfBirth != domain.MustDate("1990-05-05") {
		t.Errorf("Family(JONES01) = %+v", f)
	}
	if f := family(t, s, "LATE01"); f != nil {
		t.Fatalf("Family(LATE01) = %+v before it was written", f)
	}
	putFamilies(t, s, Family("LATE01", "1970-05-05"))
	if f := family(t, s, "LATE01"); f == nil {
		t.Errorf("Family(LATE01) = nil after it was written")
	}
}

// testRemoveFamily: a family without paid claims is deleted (and stays
// deleted across a reopen); deleting an absent one is a no-op; a family
// with a paid claim in its history is refused and unchanged until the
// claim is reversed.
func testRemoveFamily(t *testing.T, open Open) {
	s, reopen := open(t)
	putFamilies(t, s, Family("A1", "1980-01-01"), Family("A10", "1981-01-01"))
	if err := s.RemoveFamily(ctx, "NOBODY", "", nil); err != nil {
		t.Fatalf("removing an absent family: %v", err)
	}
	paid := Record("0001", "700001", "A1")
	h := &adjudicator.HistoryEntry{ClaimID: paid.ID, DateOfService: domain.MustDate("2026-04-01")}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{paid}, Index: paid, History: h})
	if err := s.RemoveFamily(ctx, "A1", "", nil); !errors.Is(err, adjudicator.ErrFamilyHasClaims) {
		t.Fatalf("removing a family with a paid claim: %v, want ErrFamilyHasClaims", err)
	}
	if f := family(t, s, "A1"); f == nil {
		t.Fatal("the refused family is gone")
	}
	if f := family(t, s, "A10"); f == nil { // read (maybe cached) before the delete
		t.Fatal("A10 is missing before its removal")
	}
	for range 2 {
		if err := s.RemoveFamily(ctx, "A10", "", nil); err != nil {
			t.Fatalf("removing A10 (whose ID extends A1's, which has claims): %v", err)
		}
		if f := family(t, s, "A10"); f != nil {
			t.Fatalf("A10 after removal: %+v", f)
		}
	}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{reversed(paid)}})
	if err := s.RemoveFamily(ctx, "A1", "", nil); err != nil {
		t.Fatalf("removing A1 once its claim is reversed: %v", err)
	}
	s = reopen()
	for _, id := range []string{"A1", "A10"} {
		if f := family(t, s, id); f != nil {
			t.Errorf("%s after reopen: %+v", id, f)
		}
	}
}

// testFamilyVersions: every write of a family (a put, a configuration
// write, a removal) is a version named by its ID, and FamilyAsOf returns
// the latest written before an ID, across a reopen; a seed (ID "") comes
// before every ID, and another family's versions never show.
func testFamilyVersions(t *testing.T, open Open) {
	s, reopen := open(t)
	const id1, id2, id3, id4 = "0000000000010000000a", "0000000000020000000b", "0000000000030000000c", "0000000000040000000d"
	asOf := func(s Store, at string) (*domain.Family, bool) {
		t.Helper()
		f, found, err := s.FamilyAsOf(ctx, "V1", at)
		if err != nil {
			t.Fatal(err)
		}
		return f, found
	}
	if f, found := asOf(s, id1); f != nil || found {
		t.Fatalf("FamilyAsOf before any write = %+v, %v", f, found)
	}
	seed, v2, v3 := Family("V1", "1980-01-01"), Family("V1", "1981-01-01"), Family("V1", "1982-01-01")
	if err := s.PutFamilies(ctx, "", []domain.Family{seed, Family("V10", "1990-01-01")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFamilies(ctx, id2, []domain.Family{v2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Families: []domain.Family{v3}, FamiliesAt: id3}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFamily(ctx, "V1", id4, nil); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	for _, c := range []struct {
		at   string
		want *domain.Family
	}{{id1, &seed}, {id2, &seed}, {id2 + "0", &v2}, {id3, &v2}, {id4, &v3}, {"ffffffffffffffffffff", nil}} {
		f, found := asOf(s, c.at)
		if !found {
			t.Fatalf("FamilyAsOf(%s): no version", c.at)
		}
		if c.want == nil {
			if f != nil {
				t.Errorf("FamilyAsOf(%s) after the removal = %+v, want nil", c.at, f)
			}
			continue
		}
		SameJSON(t, "FamilyAsOf("+c.at+")", f, c.want)
	}
	if f := family(t, s, "V1"); f != nil {
		t.Errorf("Family(V1) after the removal = %+v", f)
	}
	if lister, ok := s.(adjudicator.FamilyVersionLister); ok {
		vs, err := lister.FamilyVersionsOf(ctx, "V1")
		if err != nil {
			t.Fatal(err)
		}
		want := []adjudicator.FamilyVersion{{At: "", Family: &seed}, {At: id2, Family: &v2}, {At: id3, Family: &v3}, {At: id4}}
		SameJSON(t, "FamilyVersionsOf(V1)", vs, want)
		if vs, err := lister.FamilyVersionsOf(ctx, "NOBODY"); err != nil || len(vs) != 0 {
			t.Errorf("FamilyVersionsOf(NOBODY) = %v, %v; want none", vs, err)
		}
	}
}

// testUnchangedFamilyNoVersion: writing a family exactly as it is stored
// (a restart on the same bundle, an enrollment sync sending it again)
// writes no version; a changed one does, and a family written again after
// its removal is a version too.
func testUnchangedFamilyNoVersion(t *testing.T, open Open) {
	s, _ := open(t)
	lister, ok := s.(adjudicator.FamilyVersionLister)
	if !ok {
		t.Skip("the store does not list family versions")
	}
	const id1, id2, id3, id4, id5 = "0000000000010000000a", "0000000000020000000b", "0000000000030000000c", "0000000000040000000d", "0000000000050000000e"
	v1, v2 := Family("U1", "1980-01-01"), Family("U1", "1981-01-01")
	for _, w := range []struct {
		at  string
		fam domain.Family
	}{{id1, v1}, {id2, v1}, {id3, v2}} {
		if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Families: []domain.Family{w.fam}, FamiliesAt: w.at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutFamilies(ctx, id4, []domain.Family{v2}, nil); err != nil {
		t.Fatal(err)
	}
	vs, err := lister.FamilyVersionsOf(ctx, "U1")
	if err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "FamilyVersionsOf(U1) after writes of the same family", vs, []adjudicator.FamilyVersion{{At: id1, Family: &v1}, {At: id3, Family: &v2}})
	if err := s.RemoveFamily(ctx, "U1", id5, nil); err != nil {
		t.Fatal(err)
	}
	const id6 = "0000000000060000000f"
	if err := s.PutFamilies(ctx, id6, []domain.Family{v2}, nil); err != nil {
		t.Fatal(err)
	}
	if vs, err = lister.FamilyVersionsOf(ctx, "U1"); err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "FamilyVersionsOf(U1) after a removal and a write", vs,
		[]adjudicator.FamilyVersion{{At: id1, Family: &v1}, {At: id3, Family: &v2}, {At: id5}, {At: id6, Family: &v2}})
	SameJSON(t, "Family(U1)", family(t, s, "U1"), &v2)
}

// testSameFamilyTwiceInOneWrite: a write naming a family twice (an
// enrollment sync sending a family and cancelling it) leaves the later
// one, also when the later one is the family exactly as stored and the
// earlier one is not.
func testSameFamilyTwiceInOneWrite(t *testing.T, open Open) {
	s, _ := open(t)
	const id1, id2, id3 = "0000000000010000000a", "0000000000020000000b", "0000000000030000000c"
	v1, v2 := Family("T1", "1980-01-01"), Family("T1", "1981-01-01")
	if err := s.PutFamilies(ctx, id1, []domain.Family{v1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFamilies(ctx, id2, []domain.Family{v2, v1}, nil); err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "Family(T1) after a write of v2 then v1", family(t, s, "T1"), &v1)
	if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Families: []domain.Family{v2, v1}, FamiliesAt: id3}); err != nil {
		t.Fatal(err)
	}
	SameJSON(t, "Family(T1) after a configuration of v2 then v1", family(t, s, "T1"), &v1)
	if lister, ok := s.(adjudicator.FamilyVersionLister); ok {
		vs, err := lister.FamilyVersionsOf(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.Family == nil || v.Family.Members[0].DateOfBirth != v1.Members[0].DateOfBirth {
				t.Errorf("FamilyVersionsOf(T1) has version %s of another family than the one stored throughout", v.At)
			}
		}
	}
}
