package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// TestIDsInCommitOrderAcrossSkewedClocks: two instances on one database,
// instance B's clock 10 s behind A's, take turns with one family: bills,
// a reversal of a bill the other instance paid, and writes of the family.
// Every claim, reversal and family version ID is above the one committed
// before it (the family's last ID, read with its lock), though B's clock
// alone would put B's IDs 10 s before A's; and a replay of the family
// finds every claim as it was adjudicated.
func TestIDsInCommitOrderAcrossSkewedClocks(t *testing.T) {
	ctx := context.Background()
	cfg := demo.Config()
	start, base := time.Now(), time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clockA := func() time.Time { return base.Add(time.Since(start)) }
	clockB := func() time.Time { return clockA().Add(-10 * time.Second) }
	stores, engines := twoInstancesOn(t, cfg, clockA, clockB)
	fam := cfg.Families[0]
	var claims []*adjudicator.Claim
	for _, c := range demo.CoveredClaims(cfg, domain.DateOf(base)) {
		if c.CardholderID == fam.CardholderID {
			claims = append(claims, c)
		}
	}
	if len(claims) == 0 {
		t.Fatalf("no covered claim of family %s", fam.CardholderID)
	}
	var ids []string // in commit order
	bills, writes := 0, 0
	for n, op := range []string{"bill", "bill", "rev", "fam", "bill", "rev", "bill", "fam", "bill", "bill", "fam", "bill"} {
		e := engines[n%2]
		switch op {
		case "fam":
			ids, writes = append(ids, writeFamily(t, e, stores[0], fam, writes)), writes+1
		case "rev": // of the bill the other instance paid just before
			c := claims[(n-1)%len(claims)]
			resp, err := e.Reverse(ctx, &adjudicator.Reversal{BIN: c.BIN, PCN: c.PCN, CardholderID: c.CardholderID,
				PharmacyNPI: c.PharmacyNPI, RxNumber: fmt.Sprint(800000 + n - 1), DateOfService: c.DateOfService})
			if err != nil || resp.Status != adjudicator.Accepted {
				t.Fatalf("reversal %d on instance %d: %+v, %v", n, n%2, resp, err)
			}
			ids = append(ids, resp.ClaimID)
		case "bill":
			c := *claims[n%len(claims)]
			c.RxNumber = fmt.Sprint(800000 + n)
			resp, err := e.Bill(ctx, &c)
			if err != nil || resp.Status != adjudicator.Paid {
				t.Fatalf("bill %d on instance %d: %+v, %v", n, n%2, resp, err)
			}
			ids, bills = append(ids, resp.ClaimID), bills+1
		}
	}
	// Instance B's last ID followed A's: B reports its clock about 10 s
	// behind (the metric RxclaimsClockSkew watches), within the bound; A
	// was never behind.
	if c := engines[1].ClockStats(); c.Behind < 9*time.Second || c.Behind > 11*time.Second || c.Beyond != 0 {
		t.Errorf("instance B's clock stats %+v; want about 10 s behind, none beyond", c)
	}
	if c := engines[0].ClockStats(); c.Behind != 0 || c.Beyond != 0 {
		t.Errorf("instance A's clock stats %+v; want 0", c)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("ID %d (%s, instance %d) is not above ID %d (%s), committed before it", i, ids[i], i%2, i-1, ids[i-1])
		}
	}
	sum, err := engines[1].ReplayAll(ctx, func(r *adjudicator.Replay) error {
		if len(r.Differences) > 0 || r.Skipped != "" {
			t.Errorf("replay of claim %s: differences %+v, skipped %q", r.ClaimID, r.Differences, r.Skipped)
		}
		return nil
	})
	if err != nil || sum.Claims != bills || sum.Same != bills {
		t.Fatalf("ReplayAll = %+v, %v; want %d claims, all the same", sum, err, bills)
	}
}

// writeFamily writes fam through e with a change that is n's own (its
// first member's gender) and returns the ID of the version it made.
func writeFamily(t *testing.T, e *adjudicator.Engine, st *pgstore.Store, fam domain.Family, n int) string {
	t.Helper()
	ctx := context.Background()
	before, err := st.FamilyVersionsOf(ctx, fam.CardholderID)
	if err != nil {
		t.Fatal(err)
	}
	changed := fam
	changed.Members = slices.Clone(fam.Members)
	changed.Members[0].Gender = []string{"M", "F", "U"}[n%3]
	if err := e.PutFamilies(ctx, []domain.Family{changed}, nil); err != nil {
		t.Fatalf("family write %d: %v", n, err)
	}
	after, err := st.FamilyVersionsOf(ctx, fam.CardholderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range after {
		if !slices.ContainsFunc(before, func(w adjudicator.FamilyVersion) bool { return w.At == v.At }) {
			return v.At
		}
	}
	t.Fatalf("family write %d made no version", n)
	return ""
}
