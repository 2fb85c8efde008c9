package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
)

func claimByKey(t *testing.T, s Store, k adjudicator.ClaimKey) *adjudicator.ClaimRecord {
	t.Helper()
	r, err := s.ClaimByKey(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testClaimByKeyFollowsIndex: ClaimByKey returns the record the index last
// pointed to: the reversed record after a B2 (which leaves the index), the
// new claim after a rebill.
func testClaimByKeyFollowsIndex(t *testing.T, open Open) {
	s, _ := open(t)
	a := Record("0001", "700001", "SMITH01")
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{a}, Index: a})
	ra := reversed(a)
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{ra}})
	if got := claimByKey(t, s, a.Key); got == nil || got.ID != a.ID || got.Paid() {
		t.Fatalf("after a B2 ClaimByKey = %+v; want the reversed record %s", got, a.ID)
	}
	b := Record("0002", "700001", "SMITH01")
	b.Transaction = adjudicator.TxBill
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{b}, Index: b})
	c := Record("0003", "700001", "SMITH01")
	c.Transaction = adjudicator.TxRebill
	rb := *b
	rb.Reversal = &adjudicator.ReversalRecord{Transaction: adjudicator.TxRebill, ReplacedBy: c.ID}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{c, &rb}, Index: c})
	if got := claimByKey(t, s, a.Key); got == nil || got.ID != c.ID || !got.Paid() {
		t.Fatalf("after a rebill ClaimByKey = %+v; want the new claim %s", got, c.ID)
	}
	if got, err := s.Claim(b.ID); err != nil || got == nil || got.Reversal == nil || got.Reversal.ReplacedBy != c.ID {
		t.Errorf("the rebilled claim = %+v, %v; want it reversed, replaced by %s", got, err, c.ID)
	}
}

// historyClaim commits a paid claim of member 001 of SMITH01 with its
// history entry, and returns the record.
func historyClaim(t *testing.T, s Store, id, rx, dos string) *adjudicator.ClaimRecord {
	t.Helper()
	r := Record(id, rx, "SMITH01")
	r.Key.DateOfService = dos
	h := &adjudicator.HistoryEntry{ClaimID: id, DateOfService: domain.MustDate(dos), NDC: "00093505698", DaysSupply: 30,
		Quantity: dec("30"), PlanPaid: dec("1.50"), Segment: retailIn, Buckets: []string{"BENEFIT_MAX/"}}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r, History: h})
	return r
}

func historyIDs(t *testing.T, s Store, personCode, from, to string) []string {
	t.Helper()
	h, err := s.History(ctx, "SMITH01", personCode, domain.MustDate(from), domain.MustDate(to))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range h {
		ids = append(ids, e.ClaimID)
	}
	return ids
}

// testHistory: a member's history holds its paid claims oldest first (one
// day's in claim ID order), between both dates included, stores every
// field, and loses a claim once it is reversed.
func testHistory(t *testing.T, open Open) {
	s, _ := open(t)
	historyClaim(t, s, "0003", "1", "2026-03-01")
	second := historyClaim(t, s, "0002", "2", "2026-02-01")
	historyClaim(t, s, "0005", "3", "2026-02-01")
	historyClaim(t, s, "0004", "4", "2026-02-01")
	historyClaim(t, s, "0001", "5", "2026-01-01")
	if got, want := historyIDs(t, s, "001", "2026-01-01", "2026-12-31"), []string{"0001", "0002", "0004", "0005", "0003"}; !slices.Equal(got, want) {
		t.Errorf("History = %v, want %v", got, want)
	}
	if got, want := historyIDs(t, s, "001", "2026-02-01", "2026-02-01"), []string{"0002", "0004", "0005"}; !slices.Equal(got, want) {
		t.Errorf("History of one day = %v, want %v", got, want)
	}
	if got := historyIDs(t, s, "002", "2026-01-01", "2026-12-31"); len(got) != 0 {
		t.Errorf("History of another member = %v, want none", got)
	}
	h, err := s.History(ctx, "SMITH01", "001", domain.MustDate("2026-01-01"), domain.MustDate("2026-01-01"))
	if err != nil || len(h) != 1 {
		t.Fatalf("History of 2026-01-01 = %v, %v", h, err)
	}
	SameJSON(t, "history entry", h[0], adjudicator.HistoryEntry{ClaimID: "0001", DateOfService: domain.MustDate("2026-01-01"),
		NDC: "00093505698", DaysSupply: 30, Quantity: dec("30"), PlanPaid: dec("1.50"), Segment: retailIn, Buckets: []string{"BENEFIT_MAX/"}})
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{reversed(second)}})
	if got, want := historyIDs(t, s, "001", "2026-01-01", "2026-12-31"), []string{"0001", "0004", "0005", "0003"}; !slices.Equal(got, want) {
		t.Errorf("History after reversing 0002 = %v, want %v", got, want)
	}
}

// testFamilyHistoryScan: a store that implements HistoryScanner gives each
// family once, in cardholder ID order, with its members' paid claims up
// to the date, oldest first; reversed claims and other records (an audit
// entry) are not among them. (A store that reads the history by pages
// runs this with pages of a few rows, so families and members straddle
// them.)
func testFamilyHistoryScan(t *testing.T, open Open) {
	s, _ := open(t)
	hs, ok := s.(adjudicator.HistoryScanner)
	if !ok {
		t.Skip("the store does not implement HistoryScanner")
	}
	if err := s.AppendAudit(ctx, entry("alice", "AppendAudit", 1)); err != nil {
		t.Fatal(err)
	}
	historyClaim(t, s, "0003", "1", "2026-03-01")
	second := historyClaim(t, s, "0002", "2", "2026-02-01")
	historyClaim(t, s, "0001", "5", "2026-01-01")
	historyClaim(t, s, "0009", "9", "2026-12-01") // after the date
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{reversed(second)}})
	paid := func(id, rx, cardholder, person, dos string) {
		r := Record(id, rx, cardholder)
		r.PersonCode, r.Key.DateOfService = person, dos
		commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r,
			History: &adjudicator.HistoryEntry{ClaimID: id, DateOfService: domain.MustDate(dos), Segment: retailIn}})
	}
	paid("0007", "7", "JONES01", "001", "2026-01-05")
	paid("0010", "10", "SMITH01", "002", "2026-01-02")
	paid("0011", "11", "SMITH01", "002", "2026-05-02")
	paid("0012", "12", "SMITH01", "003", "2026-04-02")
	paid("0013", "13", "ZED01", "001", "2026-02-02")
	paid("0014", "14", "YOUNG01", "001", "2026-07-02") // only after the date: skipped
	var got, calls []string
	err := hs.ForEachFamilyHistory(domain.MustDate("2026-06-30"), func(cardholderID string, members map[string][]adjudicator.HistoryEntry) error {
		calls = append(calls, cardholderID)
		for _, person := range slices.Sorted(maps.Keys(members)) {
			for _, h := range members[person] {
				got = append(got, cardholderID+"/"+person+"/"+h.ClaimID)
			}
		}
		return nil
	})
	want := []string{"JONES01/001/0007", "SMITH01/001/0001", "SMITH01/001/0003", "SMITH01/002/0010", "SMITH01/002/0011",
		"SMITH01/003/0012", "ZED01/001/0013"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ForEachFamilyHistory = %v, %v; want %v", got, err, want)
	}
	if want := []string{"JONES01", "SMITH01", "ZED01"}; !slices.Equal(calls, want) {
		t.Errorf("ForEachFamilyHistory called for %v, want %v, once each", calls, want)
	}
	stop := errors.New("stop")
	if err := hs.ForEachFamilyHistory(domain.MustDate("2026-06-30"), func(string, map[string][]adjudicator.HistoryEntry) error {
		return stop
	}); !errors.Is(err, stop) {
		t.Errorf("ForEachFamilyHistory with fn failing = %v, want fn's error", err)
	}
}

// testClaimsWithoutTrace: a store that implements ClaimBatchReader gives
// the records of the IDs asked for, in their order, absent ones skipped,
// each as Claim gives it but without its trace.
func testClaimsWithoutTrace(t *testing.T, open Open) {
	s, _ := open(t)
	br, ok := s.(adjudicator.ClaimBatchReader)
	if !ok {
		t.Skip("the store does not implement ClaimBatchReader")
	}
	for _, id := range []string{"0001", "0002", "0003"} {
		r := Record(id, "70"+id, "SMITH01")
		r.Response.Trace = []adjudicator.TraceStep{{Step: "eligibility", Format: "member %s covered", Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgText, Text: "001"}}}}
		commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r})
	}
	var got []string
	err := br.ClaimsWithoutTrace(ctx, []string{"0001", "0002", "0004", "0005"}, func(rec *adjudicator.ClaimRecord) error {
		got = append(got, rec.ID)
		want, err := s.Claim(rec.ID)
		if err != nil {
			return err
		}
		if len(want.Response.Trace) == 0 {
			t.Errorf("Claim(%s) lost its trace", rec.ID)
		}
		want.Response.Trace = nil
		SameJSON(t, "ClaimsWithoutTrace("+rec.ID+")", rec, want)
		return nil
	})
	if want := []string{"0001", "0002"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ClaimsWithoutTrace = %v, %v; want %v", got, err, want)
	}
	if err := br.ClaimsWithoutTrace(ctx, nil, func(*adjudicator.ClaimRecord) error { return errors.New("called") }); err != nil {
		t.Errorf("ClaimsWithoutTrace of no IDs = %v", err)
	}
}

// testTraceKept: every read of a whole record gives its trace (Claim,
// ClaimByKey, ForEachClaim where the store scans), and so does the record
// once reversed (written again as Claim read it), beside its reversal's
// own trace; a record without a trace reads without one.
func testTraceKept(t *testing.T, open Open) {
	s, _ := open(t)
	trace := []adjudicator.TraceStep{
		{Step: "eligibility", Format: "covered %s to %s", Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgDate, Int: 20089}, {Kind: adjudicator.ArgText, Text: "open"}}},
		{Step: "pricing", Rule: "RETAIL", Format: "allowed %s", Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgCents, Dec: dec("2.80")}}},
	}
	a, b := Record("0001", "700001", "SMITH01"), Record("0002", "700002", "SMITH01")
	a.Response.Trace = trace
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{a}, Index: a})
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{b}, Index: b})
	read := func(when string) {
		t.Helper()
		got, err := s.Claim(a.ID)
		if err != nil || got == nil {
			t.Fatalf("%s: Claim = %v, %v", when, got, err)
		}
		SameJSON(t, when+": Claim's trace", got.Response.Trace, trace)
		SameJSON(t, when+": ClaimByKey's trace", claimByKey(t, s, a.Key).Response.Trace, trace)
		if got, err := s.Claim(b.ID); err != nil || got == nil || len(got.Response.Trace) != 0 {
			t.Errorf("%s: a record without a trace = %+v, %v", when, got, err)
		}
		scanner, ok := s.(adjudicator.ClaimScanner)
		if !ok {
			return
		}
		seen := 0
		err = scanner.ForEachClaim(func(rec *adjudicator.ClaimRecord) error {
			if rec.ID == a.ID {
				seen++
				SameJSON(t, when+": ForEachClaim's trace", rec.Response.Trace, trace)
			}
			return nil
		})
		if err != nil || seen != 1 {
			t.Errorf("%s: ForEachClaim saw the record %d times, %v", when, seen, err)
		}
	}
	read("billed")
	got, err := s.Claim(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	rev := reversed(got)
	rev.Reversal.Response = &adjudicator.Response{ClaimID: a.ID, Status: adjudicator.Accepted,
		Trace: []adjudicator.TraceStep{{Step: "reversal", Format: "reverses the paid claim"}}}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rev}})
	read("reversed")
	if got, err := s.Claim(a.ID); err != nil || got.Reversal == nil || got.Reversal.Response == nil ||
		len(got.Reversal.Response.Trace) != 1 || got.Reversal.Response.Trace[0].Step != "reversal" {
		t.Errorf("the reversal's own trace: %+v, %v", got, err)
	}
}

// testConcurrentHistory races History reads of a member with commits of
// its claims, as testConcurrentDocuments does documents (a store may cache
// what History reads): while claims are added a read never has fewer
// entries than one before it or than the claims whose Commit had
// returned, and while they are reversed never more; commits racing each
// other lose no entry; afterwards History reads what is stored.
func testConcurrentHistory(t *testing.T, open Open) {
	s, reopen := open(t)
	const claims = 60
	var (
		committed atomic.Int64 // entries once the last Commit returned
		adding    atomic.Bool  // false once the reversals begin
		stop      = make(chan struct{})
		readers   sync.WaitGroup
	)
	adding.Store(true)
	for r := range 4 {
		readers.Go(func() {
			last := int64(-1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				add, before := adding.Load(), committed.Load()
				n := int64(len(historyIDs(t, s, "001", "2026-01-01", "2026-12-31")))
				switch {
				case add != adding.Load(): // the reversals began during the read
					last = -1
					continue
				case add && (n < last || n < before):
					t.Errorf("reader %d: %d entries after %d read and %d committed: a stale history was served", r, n, last, before)
				case !add && last >= 0 && (n > last || n > before):
					t.Errorf("reader %d: %d entries after %d read and %d left by reversals: a stale history was served", r, n, last, before)
				}
				last = n
			}
		})
	}
	var paid []*adjudicator.ClaimRecord
	for i := range claims {
		paid = append(paid, historyClaim(t, s, fmt.Sprintf("H%04d", i), fmt.Sprint(800000+i), Period.AddDays(i).String()))
		committed.Store(int64(i + 1))
	}
	adding.Store(false)
	for i, r := range paid[:claims/2] {
		commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{reversed(r)}})
		committed.Store(int64(claims - i - 1))
	}
	close(stop)
	readers.Wait()
	got := historyIDs(t, s, "001", "2026-01-01", "2026-12-31")
	if len(got) != claims/2 || got[0] != paid[claims/2].ID {
		t.Fatalf("after the commits History reads %d entries from %v, want %d from %s", len(got), got[:min(len(got), 1)], claims/2, paid[claims/2].ID)
	}
	// Commits of the member's claims racing each other (the engine's
	// family lock is not part of the contract): none is lost.
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range 15 {
				id := fmt.Sprintf("W%d%02d", w, i)
				r := Record(id, fmt.Sprint(900000+100*w+i), "SMITH01")
				h := &adjudicator.HistoryEntry{ClaimID: id, DateOfService: Period.AddDays(100 + i), NDC: "00093505698", DaysSupply: 30,
					Quantity: dec("30"), PlanPaid: dec("1.50"), Segment: retailIn}
				if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r, History: h}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writers.Wait()
	got = historyIDs(t, s, "001", "2026-01-01", "2026-12-31")
	if len(got) != claims/2+60 {
		t.Errorf("after 60 racing commits History reads %d entries, want %d", len(got), claims/2+60)
	}
	if stored := historyIDs(t, reopen(), "001", "2026-01-01", "2026-12-31"); !slices.Equal(got, stored) {
		t.Errorf("History reads %v, but %v is stored", got, stored)
	}
}
