package store

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// TestHistorySummary: whatever a member's claims, reversals and rebills,
// and however far back their dates of service go (backdated claims, gaps
// longer than the summary keeps), a history read answers exactly what a
// scan of the entries does, for every range, whether the summary or the
// scan serves it; a store without summaries (written before them) gets
// them at its members' next claims (an audit trail beside the history
// too).
func TestHistorySummary(t *testing.T) {
	t.Run("default cap", testHistorySummary)
	t.Run("cap 8", func(t *testing.T) { // most reads start before Since: scan and summary
		defer func(n int) { summaryMaxEntries = n }(summaryMaxEntries)
		summaryMaxEntries = 8
		testHistorySummary(t)
	})
}

func testHistorySummary(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	start := domain.MustDate("2024-01-01")
	members := []member{{"C1", "001"}, {"C1", "002"}, {"C2", "001"}}
	var paid []*adjudicator.ClaimRecord
	for i := range 600 {
		m := members[rng.IntN(len(members))]
		dos := start.AddDays(i*3 + rng.IntN(60) - 40) // mostly forward, sometimes backdated
		if rng.IntN(50) == 0 {
			dos = dos.AddDays(-500) // older than any summary keeps
		}
		rec := &adjudicator.ClaimRecord{ID: fmt.Sprintf("R%05d", i), CardholderID: m.cardholderID, PersonCode: m.personCode,
			Key:   adjudicator.ClaimKey{PharmacyNPI: "1", RxNumber: fmt.Sprint(i), DateOfService: dos.String()},
			Claim: &adjudicator.Claim{}, Response: &adjudicator.Response{}}
		c := &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rec}, Index: rec, History: &adjudicator.HistoryEntry{
			ClaimID: rec.ID, DateOfService: dos, NDC: "N", Class: "C", DaysSupply: 30, Quantity: decimal.New(int64(i), -1),
			PlanPaid: decimal.New(int64(i*7), -2), Buckets: []string{"max_rx_count/"},
			PharmacyNPI: "1", RxNumber: fmt.Sprint(i)}}
		if i%3 == 0 {
			c.History.PriorAuths = []string{"PA" + fmt.Sprint(i%7)}
		}
		if len(paid) > 0 && rng.IntN(5) == 0 { // reverse (or have this claim replace) an earlier one
			j := rng.IntN(len(paid))
			old := *paid[j]
			old.Reversal = &adjudicator.ReversalRecord{Transaction: "B2"}
			c.Records = append(c.Records, &old)
			paid = slices.Delete(paid, j, j+1)
			if rng.IntN(2) == 0 {
				c.Index, c.History = nil, nil
				c.Records = c.Records[1:]
			}
		}
		if c.Index != nil {
			paid = append(paid, rec)
		}
		if i == 300 { // as a store written before summaries, then opened
			if err := s.AppendAudit(ctx, &adjudicator.AuditEntry{Subject: "t", Method: "m", Outcome: adjudicator.AuditOK}); err != nil {
				t.Fatal(err) // its head key shares the history prefix
			}
			for _, m := range members {
				if err := s.db.Delete(summaryKey(m.cardholderID, m.personCode), nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.db.Delete(summariesDoneKey, nil); err != nil {
				t.Fatal(err)
			}
			s.summariesDone = false
			s.sums = newByteCache(s.opts.SummaryCacheBytes) // as a store opened again
			checkHistory(t, s, members, start, rng)         // read from the entries
			if s.summariesDone, err = s.buildSummaries(); err != nil || !s.summariesDone {
				t.Fatalf("buildSummaries: %v, %v", s.summariesDone, err)
			}
		}
		if err := s.Commit(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range members {
		if sum, err := s.summary(m.cardholderID, m.personCode); err != nil || sum == nil {
			t.Fatalf("%v: no summary (%v)", m, err)
		} else if len(sum.Entries) > summaryMaxEntries {
			t.Errorf("%v: %d entries in the summary, over the cap of %d", m, len(sum.Entries), summaryMaxEntries)
		}
	}
	checkHistory(t, s, members, start, rng)
	if h, err := s.History(ctx, "C9", "001", start, start.AddDays(5000)); err != nil || h != nil {
		t.Errorf("member without history: %v, %v", h, err)
	}
}

// checkHistory compares History with a scan of the entries over random ranges.
func checkHistory(t *testing.T, s *Store, members []member, start domain.Date, rng *rand.Rand) {
	t.Helper()
	for _, m := range members {
		for range 200 {
			from := start.AddDays(rng.IntN(2400) - 600)
			to := from.AddDays(rng.IntN(500))
			got, err := s.History(context.Background(), m.cardholderID, m.personCode, from, to)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.scanHistory(m.cardholderID, m.personCode, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%v %s..%s:\n got %v\nwant %v", m, from, to, got, want)
			}
		}
	}
}

// TestHistorySummaryBound: a member who claims far more than anyone should
// (1,000 claims in 100 days) keeps a summary of at most summaryMaxEntries
// entries, so what each of their claims rewrites stays bounded, and their
// history reads as the entries do.
func TestHistorySummaryBound(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := domain.MustDate("2026-01-01")
	largest := 0
	for i := range 1000 {
		dos := start.AddDays(i / 10)
		rec := &adjudicator.ClaimRecord{ID: fmt.Sprintf("01a2cbf8a600%08d", i), CardholderID: "HEAVY01", PersonCode: "001",
			Key:   adjudicator.ClaimKey{PharmacyNPI: "1234567893", RxNumber: fmt.Sprint(1000000 + i), DateOfService: dos.String()},
			Claim: &adjudicator.Claim{}, Response: &adjudicator.Response{}}
		c := &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{rec}, Index: rec, History: &adjudicator.HistoryEntry{
			ClaimID: rec.ID, DateOfService: dos, NDC: "00093505698", Class: "39400010", DaysSupply: 30,
			Quantity: decimal.New(30, 0), PlanPaid: decimal.New(int64(1234+i), -2),
			Buckets:     []string{"MAX_RX_COUNT/", "MAX_UNITS/", "MAX_DOLLARS/"},
			PharmacyNPI: "1234567893", RxNumber: rec.Key.RxNumber}}
		if err := s.Commit(ctx, c); err != nil {
			t.Fatal(err)
		}
		v, err := s.get(summaryKey("HEAVY01", "001"))
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, len(v))
	}
	sum, err := s.summary("HEAVY01", "001")
	if err != nil || len(sum.Entries) > summaryMaxEntries {
		t.Fatalf("summary of %d entries (cap %d): %v", len(sum.Entries), summaryMaxEntries, err)
	}
	t.Logf("largest summary written: %d bytes (%d entries at most)", largest, summaryMaxEntries)
	if largest > summaryMaxEntries*128 {
		t.Errorf("a summary of %d bytes was written, more than %d entries of 128 bytes", largest, summaryMaxEntries)
	}
	to := start.AddDays(120)
	got, err := s.History(ctx, "HEAVY01", "001", to.AddDays(-365), to)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.scanHistory("HEAVY01", "001", to.AddDays(-365), to)
	if err != nil || len(want) != 1000 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("history of the heavy member: %d entries, the scan %d (%v)", len(got), len(want), err)
	}
}

// TestSplitKey: splitKey is bytes.SplitN(k, []byte{0}, 4).
func TestSplitKey(t *testing.T) {
	for _, k := range []string{"", "a", "a\x00b", "a\x00b\x00c", "a\x00b\x00c\x00d", "a\x00b\x00c\x00d\x00e", "\x00\x00\x00", "\x00\x00\x00\x00"} {
		want := bytes.SplitN([]byte(k), []byte{0}, 4)
		parts, n := splitKey([]byte(k))
		if n != len(want) {
			t.Errorf("splitKey(%q): %d parts, want %d", k, n, len(want))
			continue
		}
		for i := range n {
			if !bytes.Equal(parts[i], want[i]) {
				t.Errorf("splitKey(%q)[%d] = %q, want %q", k, i, parts[i], want[i])
			}
		}
	}
}
