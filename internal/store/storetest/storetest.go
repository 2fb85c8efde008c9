// Package storetest is the conformance suite of the storage contract
// (adjudicator/store.go). Every store implementation runs it from its own
// tests with Run; the suite uses the contract's interfaces only, so it
// knows nothing of any implementation.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Store is the whole contract a store implements for the engine.
type Store interface {
	adjudicator.Store
	adjudicator.ClaimReader
	adjudicator.ConfigStore
	adjudicator.FamilyRemover
	adjudicator.AuditLog
	adjudicator.ConfigHistory
	adjudicator.ClaimScanner
	adjudicator.FamilyVersions
}

// Open returns a new, empty store that is closed when the test ends, and
// reopen, which closes it and opens the same database again (as after a
// restart) and returns the new store.
type Open func(t *testing.T) (s Store, reopen func() Store)

// Run runs every check of the contract against stores from open.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"CommitSurvivesReopen", testCommitSurvivesReopen},
		{"AbsentIsNil", testAbsentIsNil},
		{"DocumentIsolation", testDocumentIsolation},
		{"DocumentIdentity", testDocumentIdentity},
		{"ClaimByKeyFollowsIndex", testClaimByKeyFollowsIndex},
		{"History", testHistory},
		{"ConcurrentHistoryReadsAndCommits", testConcurrentHistory},
		{"PutFamiliesReplaces", testPutFamiliesReplaces},
		{"RemoveFamily", testRemoveFamily},
		{"FamilyVersions", testFamilyVersions},
		{"UnchangedFamilyNoVersion", testUnchangedFamilyNoVersion},
		{"SameFamilyTwiceInOneWrite", testSameFamilyTwiceInOneWrite},
		{"ConcurrentDocumentReadsAndCommits", testConcurrentDocuments},
		{"ConcurrentFamilyReadsAndPuts", testConcurrentFamilies},
		{"AuditWithWrites", testAuditWithWrites},
		{"AuditRefusedWrite", testAuditRefusedWrite},
		{"AuditQuery", testAuditQuery},
		{"AuditConcurrent", testAuditConcurrent},
		{"PendingImports", testPendingImports},
		{"PriorAuths", testPriorAuths},
		{"ConfigVersions", testConfigVersions},
		{"ForEachClaimInIDOrder", testForEachClaimInIDOrder},
		{"FamilyHistoryScan", testFamilyHistoryScan},
		{"ClaimsWithoutTrace", testClaimsWithoutTrace},
		{"TraceKept", testTraceKept},
		{"RetroJobs", testRetroJobs},
		{"RetroJobStatus", testRetroJobStatus},
		{"CommitAll", testCommitAll},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
}

var (
	ctx = context.Background()
	// Period is the benefit period of the fixtures.
	Period   = domain.MustDate("2026-01-01")
	retailIn = domain.Segment{Type: domain.Retail, Class: domain.InNetwork}
	mailOut  = domain.Segment{Type: domain.Mail, Class: domain.OutOfNetwork}
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// Family returns a one-member family.
func Family(id string, dob string) domain.Family {
	return domain.Family{CardholderID: id, GroupID: "G1", Members: []domain.Member{{
		PersonCode: "001", DateOfBirth: domain.MustDate(dob),
		Coverages: []domain.Coverage{{PlanID: "PPO", Range: domain.Range{From: domain.MustDate("2026-01-01")}}},
	}}}
}

// Doc returns a document of (kind, segment, amount) triples.
func Doc(entries ...any) *accumulators.Doc {
	d := &accumulators.Doc{}
	for i := 0; i < len(entries); i += 3 {
		d.Add(accumulators.Bucket{Kind: entries[i].(accumulators.Kind), Segment: entries[i+1].(domain.Segment)}, dec(entries[i+2].(string)))
	}
	return d
}

// DocString is a document's entries in a canonical order, for comparison.
func DocString(d *accumulators.Doc) string {
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

// Record returns a paid claim record of member 001 of cardholder, dated
// 2026-04-01, with a member and a family contribution.
func Record(id, rx string, cardholder string) *adjudicator.ClaimRecord {
	claim := &adjudicator.Claim{BIN: "610999", PCN: "RXCLAIMS", CardholderID: cardholder, PersonCode: "001",
		DateOfBirth: "1980-01-01", DateOfService: "2026-04-01", RxNumber: rx, ProductID: "00093505698", Quantity: "30",
		DaysSupply: 30, IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: "1234567893", PrescriberNPI: "1000000053"}
	return &adjudicator.ClaimRecord{
		ID: id, Transaction: adjudicator.TxBill, Hash: "h-" + id, CardholderID: cardholder, PersonCode: "001", Period: Period,
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

// SameJSON fails unless got and want marshal to the same JSON.
func SameJSON(t *testing.T, what string, got, want any) {
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

func commit(t *testing.T, s Store, c *adjudicator.Commit) {
	t.Helper()
	if err := s.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func putFamilies(t *testing.T, s Store, fams ...domain.Family) {
	t.Helper()
	if err := s.PutFamilies(ctx, "", fams, nil); err != nil {
		t.Fatal(err)
	}
}

func readDoc(t *testing.T, s Store, scope accumulators.Scope, id string, period domain.Date) *accumulators.Doc {
	t.Helper()
	d, err := s.Accumulators(ctx, scope, id, period)
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		t.Fatalf("Accumulators(%s, %s, %s) = nil; want a document, empty if none", scope, id, period)
	}
	return d
}

// reversed returns r reversed by a B2.
func reversed(r *adjudicator.ClaimRecord) *adjudicator.ClaimRecord {
	out := *r
	out.Reversal = &adjudicator.ReversalRecord{Transaction: adjudicator.TxReverse, Hash: "r"}
	return &out
}
