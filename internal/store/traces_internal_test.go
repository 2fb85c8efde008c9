package store

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
	"github.com/rxclaims/rxclaims/internal/store/storetest"
)

// TestTraceInlineBeforeKeptApart: a record written before traces had a key
// of their own (the trace inside the record) reads with its trace, and is
// moved apart when it is written again (its reversal): the record without
// the trace, the trace under its key, the same trace read back.
func TestTraceInlineBeforeKeptApart(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := storetest.Record("0001", "700001", "SMITH01")
	rec.Response.Trace = []adjudicator.TraceStep{{Step: "eligibility", Format: "covered %s", Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgText, Text: "open"}}}}
	old, err := records.EncodeClaim(rec) // as an older build wrote it
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(claimKey(rec.ID), old, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	traceOf := func(when string) {
		t.Helper()
		got, err := s.Claim(rec.ID)
		if err != nil || got == nil {
			t.Fatalf("%s: Claim = %v, %v", when, got, err)
		}
		storetest.SameJSON(t, when+": Claim's trace", got.Response.Trace, rec.Response.Trace)
		err = s.ForEachClaim(func(got *adjudicator.ClaimRecord) error {
			storetest.SameJSON(t, when+": ForEachClaim's trace", got.Response.Trace, rec.Response.Trace)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	traceOf("written inline")
	got, err := s.Claim(rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Reversal = &adjudicator.ReversalRecord{Transaction: adjudicator.TxReverse, Hash: "r"}
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{got}}); err != nil {
		t.Fatal(err)
	}
	traceOf("reversed")
	v, err := s.get(claimKey(rec.ID))
	if err != nil {
		t.Fatal(err)
	}
	if inline, err := records.DecodeClaim(v); err != nil || len(inline.Response.Trace) != 0 {
		t.Errorf("the record written again keeps its trace inline: %+v, %v", inline, err)
	}
	if v, err := s.get(traceKey(rec.ID)); err != nil || v == nil {
		t.Errorf("no trace under its own key: %v", err)
	}
}
