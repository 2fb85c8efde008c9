package adjudicator_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/store"
)

// TestReplayAcrossChangesAndRestart bills, rebills and reverses claims
// around configuration changes (a quantity limit activated, then
// inactivated), restarts on the same store, and replays: every claim gives
// its stored answer under the version it recorded, and a restart makes no
// new version. An enrollment change since changes no replayed answer:
// replay reads the family as the claim read it.
func TestReplayAcrossChangesAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, e := openReplayEngine(t, dir, false)
	first, rebilled := billAroundChanges(t, e)
	version := e.ConfigVersion()

	// Restart on the same store.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, e = openReplayEngine(t, dir, true)
	defer st.Close()
	if e.ConfigVersion() != version {
		t.Errorf("after a restart the configuration version is %d; want %d (unchanged)", e.ConfigVersion(), version)
	}
	recs := map[string]uint64{}
	sum, err := e.ReplayAll(ctx, func(r *adjudicator.Replay) error {
		recs[r.ClaimID] = r.ConfigVersion
		for _, d := range r.Differences {
			t.Errorf("claim %s (v%d): %s: %s -> %s", r.ClaimID, r.ConfigVersion, d.Field, d.Original, d.Replayed)
		}
		if r.Skipped != "" {
			t.Errorf("claim %s skipped: %s", r.ClaimID, r.Skipped)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Claims != 5 || sum.Same != 5 {
		t.Errorf("ReplayAll = %+v; want 5 claims, all the same", sum)
	}
	if recs[first.ClaimID] == recs[rebilled.ClaimID] {
		t.Errorf("the claim billed before the limit and its rebill after it recorded one version (%d)", recs[first.ClaimID])
	}

	// The member's coverage ends, back-dated, before the claim, as the
	// loader would send it: replay reads the family as each claim read it,
	// so the claims paid before the change still replay to their answers.
	fam := ppoConfig(t).Families[0]
	fam.Members[0].Coverages[0].To = domain.MustDate("2026-01-31")
	if err := e.PutFamilies(ctx, []domain.Family{fam}, &adjudicator.AuditEntry{Subject: "loader"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.ReplayClaim(ctx, rebilled.ClaimID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Differences) != 0 || r.Replayed.Status != adjudicator.Paid {
		t.Errorf("replay after a back-dated termination: %s, %+v; want paid, no differences", r.Replayed.Status, r.Differences)
	}
}

// openReplayEngine opens the store in dir and an engine over it: on a new
// store seeded with the ppo bundle as the server seeds it, or, at a
// restart, on the configuration stored.
func openReplayEngine(t *testing.T, dir string, restart bool) (*store.Store, *adjudicator.Engine) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	if restart {
		// Time passes across a restart: IDs, which order a family's
		// claims and versions, carry it (a fixed clock would leave the
		// order of two engines' IDs to their random sequences).
		clock = clock.Add(time.Hour)
	}
	opts := adjudicator.Options{Store: st, Configs: st, Now: func() time.Time { return clock }}
	if restart {
		stored, _, err := st.LoadConfig()
		if err != nil {
			t.Fatal(err)
		}
		e, err := adjudicator.New(stored, opts)
		if err != nil {
			t.Fatal(err)
		}
		return st, e
	}
	cfg := ppoConfig(t)
	if err := st.PutFamilies(ctx, "", cfg.Families, nil); err != nil {
		t.Fatal(err)
	}
	e, err := adjudicator.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	base := e.Configuration()
	all := base.Edits
	base.Edits = nil
	if err := st.SaveConfig(ctx, adjudicator.ConfigWrite{Base: base, Versions: all}); err != nil {
		t.Fatal(err)
	}
	return st, e
}

// billAroundChanges bills two claims, activates a quantity limit, rebills
// the first (over the limit: rejected; then within it), bills a third and
// reverses it, inactivates the limit and bills a fourth.
func billAroundChanges(t *testing.T, e *adjudicator.Engine) (first, rebilled *adjudicator.Response) {
	t.Helper()
	ctx := context.Background()
	bill := func(rx, dos, qty string, rebill bool) *adjudicator.Response {
		t.Helper()
		c := familyLockClaim()
		c.RxNumber, c.DateOfService, c.Quantity = rx, dos, qty
		f := e.Bill
		if rebill {
			f = e.Rebill
		}
		r, err := f(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first = bill("700001", "2026-02-01", "90", false)
	bill("700002", "2026-02-02", "30", false)
	var limit edits.Edit
	if err := json.Unmarshal([]byte(`{"id": "QTY-STATINS", "kind": "QUANTITY", "level": {"kind": "PLAN", "id": "PPO"},
		"criteria": {"drugs": [{"class_prefix": "3940"}]}, "effective": "2026-01-01", "quantity": {"max_quantity": "60"}}`), &limit); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateDraft(ctx, limit, adjudicator.Actor("alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Activate(ctx, "QTY-STATINS", 1, adjudicator.Actor("bob")); err != nil {
		t.Fatal(err)
	}
	if r := bill("700001", "2026-02-01", "90", true); r.Status != adjudicator.Rejected {
		t.Fatalf("rebill over the new limit: %s %v", r.Status, r.Rejects)
	}
	rebilled = bill("700001", "2026-02-01", "60", true)
	third := bill("700003", "2026-03-01", "30", false)
	if _, _, err := e.ReverseClaim(ctx, third.ClaimID, adjudicator.Actor("ops")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Inactivate(ctx, "QTY-STATINS", 1, adjudicator.Actor("bob")); err != nil {
		t.Fatal(err)
	}
	bill("700004", "2026-03-02", "90", false)
	return first, rebilled
}

// TestReplayRefusals: a malformed claim ID is refused before the store is
// read, and a second replay while one runs is refused (ErrBusy), since each
// holds the state the store's claims built up in memory.
func TestReplayRefusals(t *testing.T) {
	st, e := openReplayEngine(t, t.TempDir(), false)
	defer st.Close()
	ctx := context.Background()
	for _, id := range []string{"", "x", strings.Repeat("a", 10000), "01A2CBF8A600638B8EB3"} {
		if _, err := e.ReplayClaim(ctx, id); !errors.Is(err, adjudicator.ErrInvalid) {
			t.Errorf("ReplayClaim(%.20q): %v, want ErrInvalid", id, err)
		}
	}
	release := adjudicator.HoldReplay(e)
	if _, err := e.ReplayAll(ctx, func(*adjudicator.Replay) error { return nil }); !errors.Is(err, adjudicator.ErrBusy) {
		t.Errorf("replay while another runs: %v, want ErrBusy", err)
	}
	if _, err := e.ReplayClaim(ctx, "00000000000000000000"); !errors.Is(err, adjudicator.ErrBusy) {
		t.Errorf("replay of a claim while another runs: %v, want ErrBusy", err)
	}
	release()
	if _, err := e.ReplayClaim(ctx, "00000000000000000000"); !errors.Is(err, adjudicator.ErrNotFound) {
		t.Errorf("replay of an unknown claim once the slot is free: %v, want ErrNotFound", err)
	}
}
