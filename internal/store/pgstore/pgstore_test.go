package pgstore_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
	"github.com/rxclaims/rxclaims/internal/store/records"
	"github.com/rxclaims/rxclaims/internal/store/storetest"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open opens a store whose history scans read pages of two rows, so that
// the conformance suite's families straddle them.
func open(t *testing.T, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), pgstore.Options{DSN: dsn, Logger: slog.New(slog.DiscardHandler), HistoryPageRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformance runs the contract's suite against a database of its own
// per check; reopen opens a new pool on the same database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
		dsn := pgtest.DSN(t)
		s := open(t, dsn)
		t.Cleanup(func() { s.Close() })
		return s, func() storetest.Store {
			s.Close()
			s = open(t, dsn)
			return s
		}
	})
}

// TestVerify: a consistent database verifies clean; a balance changed
// behind the store's back, or a removed audit entry, is reported.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s := open(t, dsn)
	defer s.Close()
	r := storetest.Record("0001", "700001", "SMITH01")
	member := storetest.Doc(accumulators.Deductible, domain.Segment{Type: domain.Retail, Class: domain.InNetwork}, "5.00")
	family := storetest.Doc(accumulators.Deductible, domain.Segment{Type: domain.Retail, Class: domain.InNetwork}, "5.00")
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r, Docs: []adjudicator.DocWrite{
		{Scope: accumulators.Member, ID: adjudicator.MemberID("SMITH01", "001"), Period: storetest.Period, Doc: member},
		{Scope: accumulators.Family, ID: "SMITH01", Period: storetest.Period, Doc: family},
	}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := s.AppendAudit(ctx, &adjudicator.AuditEntry{Subject: "alice", Method: "test", Outcome: adjudicator.AuditOK}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s.Verify(ctx)
	if err != nil || rep.Paid != 1 || rep.Documents != 2 || len(rep.Problems) != 0 {
		t.Fatalf("Verify = %+v, %v; want 1 paid claim, 2 documents, no problems", rep, err)
	}
	audit, err := s.VerifyAudit(ctx)
	if err != nil || audit.Entries != 2 || len(audit.Problems) != 0 {
		t.Fatalf("VerifyAudit = %+v, %v; want 2 entries, no problems", audit, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE documents SET doc = $1 WHERE scope = $2`,
		records.EncodeDocument(storetest.Doc(accumulators.Deductible, domain.Segment{Type: domain.Retail, Class: domain.InNetwork}, "7.00")),
		int16(accumulators.Family)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM audit WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) != 1 {
		t.Errorf("Verify after a changed balance = %+v, %v; want one problem", rep, err)
	}
	if audit, err := s.VerifyAudit(ctx); err != nil || len(audit.Problems) != 1 {
		t.Errorf("VerifyAudit after a removed last entry = %+v, %v; want one problem", audit, err)
	}
}

// TestTraceInFirstForm: a claim's trace is stored in the first binary form
// (every string inline, no leading 0 byte), which the builds from before
// the compact form read, since instances of such a build may share the
// database during a rolling upgrade; it reads back whole.
func TestTraceInFirstForm(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s := open(t, dsn)
	defer s.Close()
	r := storetest.Record("0001", "700001", "SMITH01")
	r.Response.Trace = []adjudicator.TraceStep{{Step: "eligibility", Format: "covered %s to %s",
		Args: []adjudicator.TraceArg{{Kind: adjudicator.ArgText, Text: "2026-01-01"}, {Kind: adjudicator.ArgText, Text: "open"}}}}
	if err := s.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var raw []byte
	if err := conn.QueryRow(ctx, "SELECT record FROM claims WHERE id = $1", r.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var m storev1.ClaimRecord
	if err := proto.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if steps := m.GetResponse().GetTraceSteps(); len(steps) == 0 || steps[0] == 0 {
		t.Errorf("the stored trace is not in the first form: % x", steps)
	}
	got, err := s.Claim(r.ID)
	if err != nil || got == nil {
		t.Fatalf("Claim = %v, %v", got, err)
	}
	storetest.SameJSON(t, "the trace read back", got.Response.Trace, r.Response.Trace)
}
