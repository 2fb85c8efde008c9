package storetest

import (
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

// testCommitAll checks a store's CommitAll (adjudicator.BatchCommitter;
// others skip it) as a retro job's family uses it: the reversal of two
// paid claims and the re-bill of each, with their progress records and a
// document written twice, in one call. Afterwards each key points to its
// re-bill, the history holds the re-bills only, the document has its last
// value and the progress records are stored, also after a reopen; a batch
// with an audit entry is refused and writes nothing.
func testCommitAll(t *testing.T, open Open) {
	s, reopen := open(t)
	bc, ok := s.(adjudicator.BatchCommitter)
	if !ok {
		t.Skip("the store has no CommitAll")
	}
	first := historyClaim(t, s, "0000000000000000ba01", "1", "2026-03-01")
	second := historyClaim(t, s, "0000000000000000ba02", "2", "2026-03-02")
	progress := func(i int, old *adjudicator.ClaimRecord, state adjudicator.RetroState, newID string) *adjudicator.RetroProgress {
		return &adjudicator.RetroProgress{JobID: "J-A", Index: i, ClaimID: old.ID, State: state, NewClaimID: newID}
	}
	rebill := func(old *adjudicator.ClaimRecord, id string) (*adjudicator.ClaimRecord, *adjudicator.HistoryEntry) {
		r := Record(id, old.Key.RxNumber, "SMITH01")
		r.Key = old.Key
		r.Transaction = adjudicator.TxRetro
		return r, &adjudicator.HistoryEntry{ClaimID: id, DateOfService: domain.MustDate(old.Key.DateOfService), NDC: "00093505698",
			DaysSupply: 30, Quantity: dec("30"), PlanPaid: dec("2.50"), Segment: retailIn}
	}
	new1, h1 := rebill(first, "0000000000000000ba05")
	new2, h2 := rebill(second, "0000000000000000ba06")
	cs := []*adjudicator.Commit{
		{Records: []*adjudicator.ClaimRecord{reversed(first)}, Docs: docWrite("SMITH01:001", countDoc(1)),
			Retro: progress(0, first, adjudicator.RetroReversed, "")},
		{Records: []*adjudicator.ClaimRecord{reversed(second)}, Docs: docWrite("SMITH01:001", countDoc(0)),
			Retro: progress(1, second, adjudicator.RetroReversed, "")},
		{Records: []*adjudicator.ClaimRecord{new1}, Index: new1, History: h1, Docs: docWrite("SMITH01:001", countDoc(1)),
			Retro: progress(0, first, adjudicator.RetroDone, new1.ID)},
		{Records: []*adjudicator.ClaimRecord{new2}, Index: new2, History: h2, Docs: docWrite("SMITH01:001", countDoc(2)),
			Retro: progress(1, second, adjudicator.RetroDone, new2.ID)},
	}
	refused := slices.Clone(cs)
	refused = append(refused, &adjudicator.Commit{Audit: entry("erin", "retro runner", 1, "retro job J-A")})
	if err := bc.CommitAll(ctx, refused); err == nil {
		t.Fatal("CommitAll of a batch with an audit entry: no error")
	}
	if got := historyIDs(t, s, "001", "2026-01-01", "2026-12-31"); !slices.Equal(got, []string{first.ID, second.ID}) {
		t.Fatalf("History after a refused CommitAll = %v; want the originals only", got)
	}
	if err := bc.CommitAll(ctx, cs); err != nil {
		t.Fatal(err)
	}
	check := func(s Store, when string) {
		t.Helper()
		for _, r := range []*adjudicator.ClaimRecord{new1, new2} {
			if got := claimByKey(t, s, r.Key); got == nil || got.ID != r.ID || !got.Paid() {
				t.Errorf("%s: ClaimByKey = %+v; want the re-bill %s", when, got, r.ID)
			}
		}
		for _, r := range []*adjudicator.ClaimRecord{first, second} {
			if got, err := s.Claim(r.ID); err != nil || got == nil || got.Paid() {
				t.Errorf("%s: claim %s = %+v, %v; want it reversed", when, r.ID, got, err)
			}
		}
		if got := historyIDs(t, s, "001", "2026-01-01", "2026-12-31"); !slices.Equal(got, []string{new1.ID, new2.ID}) {
			t.Errorf("%s: History = %v; want the re-bills %s %s", when, got, new1.ID, new2.ID)
		}
		d, err := s.Accumulators(ctx, accumulators.Member, "SMITH01:001", Period)
		if err != nil || DocString(d) != DocString(countDoc(2)) {
			t.Errorf("%s: document = %s, %v; want the last written, %s", when, DocString(d), err, DocString(countDoc(2)))
		}
		if rs, ok := s.(adjudicator.RetroStore); ok {
			prog, err := rs.RetroProgress(ctx, "J-A")
			if err != nil {
				t.Fatal(err)
			}
			SameJSON(t, when+": progress", prog, []adjudicator.RetroProgress{*cs[2].Retro, *cs[3].Retro})
		}
	}
	check(s, "after CommitAll")
	check(reopen(), "after a reopen")
}
