package adjudicator_test

import (
	"context"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store"
)

// TestLegacyZeroPaddedKey: a data directory written before claim keys were
// canonical may index a paid claim under its Rx number as submitted, with
// leading zeros. The duplicate check and reversals still find it.
func TestLegacyZeroPaddedKey(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if st.HasZeroPaddedKeys() {
		t.Fatal("a new store reports zero-padded keys")
	}
	cfg := ppoConfig(t)
	if err := st.PutFamilies(ctx, "", cfg.Families, nil); err != nil {
		t.Fatal(err)
	}
	e, err := adjudicator.New(cfg, adjudicator.Options{Store: st, Configs: st, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	c := familyLockClaim()
	c.RxNumber = "5550001"
	resp, err := e.Bill(ctx, c)
	if err != nil || resp.Status != adjudicator.Paid {
		t.Fatalf("bill = %+v, %v", resp, err)
	}
	// Make the paid claim a legacy one: the record indexed under 05550001
	// with the hash of the old formula, and the canonical key's record
	// reversed (as if the canonical key had never been written).
	rec, err := st.ClaimByKey(ctx, adjudicator.ClaimKey{PharmacyNPI: c.PharmacyNPI, RxNumber: "5550001", DateOfService: c.DateOfService})
	if err != nil || rec == nil {
		t.Fatalf("ClaimByKey = %v, %v", rec, err)
	}
	gone := *rec
	gone.Reversal = &adjudicator.ReversalRecord{Transaction: adjudicator.TxReverse}
	legacy := *rec
	legacy.ID, legacy.Hash = "legacy1", "a hash of the old formula"
	legacy.Key.RxNumber = "05550001"
	legacyClaim := *rec.Claim
	legacyClaim.RxNumber = "05550001"
	legacy.Claim = &legacyClaim
	legacyResp := *rec.Response
	legacyResp.ClaimID = "legacy1"
	legacy.Response = &legacyResp
	if err := st.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{&gone}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{&legacy}, Index: &legacy}); err != nil {
		t.Fatal(err)
	}

	// Reopen: the store finds the legacy key, and the engine looks for it.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	e, st = scenario.NewEngine(t, cfg, dir, func() time.Time { return clock })
	if !st.HasZeroPaddedKeys() {
		t.Fatal("the reopened store does not report its zero-padded key")
	}
	if resp, err := e.Bill(ctx, c); err != nil || resp.Status != adjudicator.Duplicate || resp.ClaimID != "legacy1" {
		t.Fatalf("identical bill = %+v, %v; want D of legacy1", resp, err)
	}
	other := *c
	other.Quantity = "31"
	if resp, err := e.Bill(ctx, &other); err != nil || resp.Status != adjudicator.Rejected {
		t.Fatalf("different content = %+v, %v; want 83", resp, err)
	}
	rev := &adjudicator.Reversal{BIN: c.BIN, PCN: c.PCN, PharmacyNPI: c.PharmacyNPI, RxNumber: "5550001", DateOfService: c.DateOfService}
	if resp, err := e.Reverse(ctx, rev); err != nil || resp.Status != adjudicator.Accepted || resp.ReversedClaimID != "legacy1" {
		t.Fatalf("reversal = %+v, %v; want legacy1 reversed", resp, err)
	}
}
