package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// t0 is the time of the first fixture entry.
var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// entry returns a pending audit entry at t0 plus minutes.
func entry(subject, method string, minutes int, objects ...string) *adjudicator.AuditEntry {
	return &adjudicator.AuditEntry{Time: t0.Add(time.Duration(minutes) * time.Minute), Subject: subject, Source: "development",
		Role: "config-author", Method: method, Objects: objects, Outcome: adjudicator.AuditOK}
}

func readAudit(t *testing.T, s Store, q adjudicator.AuditQuery) []adjudicator.AuditEntry {
	t.Helper()
	got, err := s.ReadAudit(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkChain fails unless entries are numbered from 1 without a gap, each
// holding the hash of the one before, each hash that of its encoding.
func checkChain(t *testing.T, entries []adjudicator.AuditEntry) {
	t.Helper()
	var prev adjudicator.AuditHash
	for i, e := range entries {
		if e.Seq != uint64(i+1) || e.Prev != prev || e.Hash != records.AuditHashOf(records.EncodeAudit(&e)) {
			t.Fatalf("entry %d: seq %d, prev %s (want %s), hash %s: not a chain", i+1, e.Seq, e.Prev, prev, e.Hash)
		}
		prev = e.Hash
	}
}

// testAuditWithWrites: every audited write appends its entry, numbered and
// chained in the order the writes returned, and the entries (with their
// hashes) and the changes are all there after a reopen. A nil entry, and
// a write that fails or writes nothing, append nothing.
func testAuditWithWrites(t *testing.T, open Open) {
	s, reopen := open(t)
	var written []*adjudicator.AuditEntry
	step := func(what string, e *adjudicator.AuditEntry, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if e.Seq != uint64(len(written)+1) {
			t.Fatalf("%s: entry seq %d, want %d", what, e.Seq, len(written)+1)
		}
		written = append(written, e)
	}
	e := entry("alice", "AppendAudit", 1)
	step("append alone", e, s.AppendAudit(ctx, e))
	e = entry("alice", "SaveConfig", 2, "edit QTY-10 v1")
	step("save configuration", e, s.SaveConfig(ctx, adjudicator.ConfigWrite{Audit: e}))
	e = entry("loader", "PutFamilies", 3, "group G1")
	step("put families", e, s.PutFamilies(ctx, "", nil, e))
	putFamilies(t, s, Family("GONE", "1980-01-01"))
	e = entry("loader", "RemoveFamily", 4, "group G1")
	step("remove family", e, s.RemoveFamily(ctx, "GONE", "", e))
	rec := Record("0001", "700001", "A1")
	e = entry("ops", "ReverseClaim", 5, "claim 0001")
	step("commit", e, s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rec}, Audit: e}))

	unwritten := entry("loader", "RemoveFamily", 6)
	if err := s.RemoveFamily(ctx, "NOBODY", "", unwritten); err != nil || unwritten.Seq != 0 {
		t.Fatalf("removing an absent family wrote entry %d (%v)", unwritten.Seq, err)
	}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{Record("0002", "700002", "A1")}})
	if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{}); err != nil {
		t.Fatal(err)
	}
	s = reopen()
	got := readAudit(t, s, adjudicator.AuditQuery{})
	if len(got) != len(written) {
		t.Fatalf("after reopen: %d entries, want %d", len(got), len(written))
	}
	checkChain(t, got)
	for i, e := range written {
		if got[i].Hash != e.Hash || got[i].Subject != e.Subject || !got[i].Time.Equal(e.Time) {
			t.Errorf("entry %d read back as %+v, want %+v", i+1, got[i], *e)
		}
	}
	// The chain goes on from the head after a reopen.
	e = entry("bob", "AppendAudit", 7)
	if err := s.AppendAudit(ctx, e); err != nil || e.Seq != uint64(len(written)+1) || e.Prev != written[len(written)-1].Hash {
		t.Fatalf("append after reopen: %+v %v", e, err)
	}
}

// testAuditRefusedWrite: a write the store refuses appends nothing.
func testAuditRefusedWrite(t *testing.T, open Open) {
	s, _ := open(t)
	putFamilies(t, s, Family("A1", "1980-01-01"))
	rec := Record("0001", "700001", "A1")
	h := &adjudicator.HistoryEntry{ClaimID: rec.ID, DateOfService: domain.MustDate("2026-04-01")}
	commit(t, s, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rec}, Index: rec, History: h})
	e := entry("loader", "RemoveFamily", 1)
	if err := s.RemoveFamily(ctx, "A1", "", e); !errors.Is(err, adjudicator.ErrFamilyHasClaims) || e.Seq != 0 {
		t.Fatalf("refused removal: %v, entry %d", err, e.Seq)
	}
	if got := readAudit(t, s, adjudicator.AuditQuery{}); len(got) != 0 {
		t.Fatalf("a refused write appended %d entries", len(got))
	}
}

// testAuditQuery: entries are selected by time range (From included, To
// excluded), subject, object (a whole reference or its prefix up to a
// space), after a sequence number, up to a limit; an entry dated before
// the last one takes the last one's time, so the trail stays in time order.
func testAuditQuery(t *testing.T, open Open) {
	s, _ := open(t)
	for _, e := range []*adjudicator.AuditEntry{
		entry("alice", "CreateDraft", 0, "edit QTY-10 v1"),
		entry("bob", "ActivateEdit", 10, "edit QTY-10 v1"),
		entry("alice", "CreateDraft", 20, "edit QTY-100 v1"),
		entry("carol", "ListEdits", 30),
		entry("bob", "ActivateEdit", 25, "edit QTY-100 v1"), // before the last: takes its time
	} {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	seqs := func(q adjudicator.AuditQuery) string {
		var out []uint64
		for _, e := range readAudit(t, s, q) {
			out = append(out, e.Seq)
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct {
		q    adjudicator.AuditQuery
		want string
	}{
		{adjudicator.AuditQuery{}, "[1 2 3 4 5]"},
		{adjudicator.AuditQuery{From: t0.Add(10 * time.Minute), To: t0.Add(30 * time.Minute)}, "[2 3]"},
		{adjudicator.AuditQuery{From: t0.Add(30 * time.Minute)}, "[4 5]"},
		{adjudicator.AuditQuery{To: t0.Add(time.Minute)}, "[1]"},
		{adjudicator.AuditQuery{Subject: "bob"}, "[2 5]"},
		{adjudicator.AuditQuery{Object: "edit QTY-10"}, "[1 2]"},
		{adjudicator.AuditQuery{Object: "edit QTY-10 v1"}, "[1 2]"},
		{adjudicator.AuditQuery{Object: "edit QTY"}, "[]"},
		{adjudicator.AuditQuery{Subject: "alice", From: t0.Add(time.Minute)}, "[3]"},
		{adjudicator.AuditQuery{AfterSeq: 3}, "[4 5]"},
		{adjudicator.AuditQuery{Limit: 2}, "[1 2]"},
		{adjudicator.AuditQuery{AfterSeq: 1, Limit: 2, From: t0}, "[2 3]"},
	} {
		if got := seqs(c.q); got != c.want {
			t.Errorf("ReadAudit(%+v) = %s, want %s", c.q, got, c.want)
		}
	}
	checkChain(t, readAudit(t, s, adjudicator.AuditQuery{}))
}

// testAuditConcurrent: concurrent audited writes form one chain.
func testAuditConcurrent(t *testing.T, open Open) {
	s, _ := open(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			e := entry(fmt.Sprint("user", i), "X", i)
			if i%2 == 0 {
				errs <- s.AppendAudit(ctx, e)
			} else {
				errs <- s.SaveConfig(ctx, adjudicator.ConfigWrite{Audit: e})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := readAudit(t, s, adjudicator.AuditQuery{})
	if len(got) != 40 {
		t.Fatalf("%d entries, want 40", len(got))
	}
	checkChain(t, got)
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("entry %d is dated before entry %d", got[i].Seq, got[i-1].Seq)
		}
	}
}

// testPendingImports: a proposed import is stored with its entry and read
// back; resolving it deletes it.
func testPendingImports(t *testing.T, open Open) {
	s, reopen := open(t)
	p := adjudicator.PendingImport{ID: "0123456789abcdef", ProposedBy: "mallory", ProposedAt: t0, Bundle: []byte("plans: []\n"),
		Summary: adjudicator.ImportSummary{Plans: 1, Settings: []string{"allow_self_activation: unset → true"}}}
	e := entry("mallory", "ImportBundle", 1, adjudicator.ImportObject(p.ID))
	if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Propose: &p, Audit: e}); err != nil || e.Seq != 1 {
		t.Fatalf("propose: %v (entry %d)", err, e.Seq)
	}
	s = reopen()
	got, err := s.PendingImports(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("pending imports: %+v %v", got, err)
	}
	SameJSON(t, "pending import", got[0], p)
	if err := s.SaveConfig(ctx, adjudicator.ConfigWrite{Resolve: p.ID, Audit: entry("bob", "RejectImport", 2)}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PendingImports(ctx); err != nil || len(got) != 0 {
		t.Fatalf("pending imports after resolving: %+v %v", got, err)
	}
}
