package adjudicator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// DryRunSelection chooses the paid claims a dry run re-adjudicates: those
// with a date of service from From to To (both included; zero: open),
// and, when set, of the plan, the family's group or the group's client.
type DryRunSelection struct {
	From, To domain.Date
	PlanID   string
	GroupID  string
	ClientID string
}

// DryRunChange is one claim whose answer a dry run changed.
type DryRunChange struct {
	ClaimID       string    `json:"claim_id"`
	DateOfService string    `json:"date_of_service"`
	RxNumber      string    `json:"rx_number"`
	PlanID        string    `json:"plan_id"`
	Before        *Response `json:"before"`
	After         *Response `json:"after"`
}

// DryRunReport is what a dry run found.
type DryRunReport struct {
	Claims          int             `json:"claims"`
	Changed         int             `json:"changed"`
	MembersAffected int             `json:"members_affected"`
	PlanPaidBefore  decimal.Decimal `json:"plan_paid_before"`
	PlanPaidAfter   decimal.Decimal `json:"plan_paid_after"`
	PatientBefore   decimal.Decimal `json:"patient_pay_before"`
	PatientAfter    decimal.Decimal `json:"patient_pay_after"`
	Changes         []DryRunChange  `json:"changes,omitempty"`
	Elapsed         time.Duration   `json:"elapsed"`
}

// DryRun re-adjudicates the selected paid claims under the configuration
// in force with the given Draft versions applied as though Active, and
// writes nothing. It reads every stored claim in the order the claims were
// adjudicated (claim ID order; per family, commit order): a claim outside
// the selection leaves its stored contributions, a selected claim the
// ones its dry run makes, so each selected claim sees the accumulators and
// history the earlier claims would have left under the drafts. Each runs
// with the clock of its original adjudication, so the filing limit reads
// as it did. The report lists
// every claim whose status, reject codes or amounts changed, with totals.
func (e *Engine) DryRun(ctx context.Context, sel DryRunSelection, drafts []EditRef) (*DryRunReport, error) {
	release, err := e.replayTurn()
	if err != nil {
		return nil, err
	}
	defer release()
	start := time.Now()
	snap, err := e.draftSnapshot(drafts, "dry run")
	if err != nil {
		return nil, err
	}
	r := newReplayer(e)
	r.dry = &dryPlan{snap: snap, selected: e.selector(ctx, snap, sel)}
	rep := &DryRunReport{}
	members := map[string]bool{}
	err = e.replay(ctx, r, nil, func(rec *ClaimRecord, p *Replay) error {
		if r.dry.selected(rec) {
			rep.add(rec, p.Replayed, members)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.MembersAffected, rep.Elapsed = len(members), time.Since(start)
	return rep, nil
}

// dryPlan is what a replayer runs differently in a dry run: the selected
// claims, under snap, leave their new contributions, not their stored ones.
type dryPlan struct {
	snap     *snapshot
	selected func(*ClaimRecord) bool
}

// dryRun re-adjudicates a selected claim under the dry run's snapshot, as
// a bill (a rebill's original is reversed first, as its rebill did), and
// leaves what it paid in the state.
func (r *replayer) dryRun(ctx context.Context, rec *ClaimRecord, fn func(*ClaimRecord, *Replay) error) error {
	if err := r.reverseBefore(rec.ID, true); err != nil {
		return err
	}
	at, err := idTime(rec.ID)
	if err != nil {
		return err
	}
	r.clock = at
	a := &adjudication{engine: r.shadow, snap: r.dry.snap, store: r.st, submitted: rec.Claim, docs: newDocSet(r.st),
		resp: &Response{ClaimID: rec.ID, Trace: make([]TraceStep, 0, 16)}}
	after, err := a.run(ctx, dryRunSteps)
	if err != nil {
		return fmt.Errorf("dry run of claim %s: %w", rec.ID, err)
	}
	var hist *HistoryEntry
	var contributions []accumulators.Contribution
	if after.Status == Paid {
		hist, contributions = a.historyEntry(), a.contributions
	}
	r.committed(rec, hist, contributions)
	return fn(rec, &Replay{ClaimID: rec.ID, Original: rec.Response, Replayed: after})
}

// dryRunSteps re-adjudicates a stored claim: no duplicate check (its own
// key is paid), nothing written.
var dryRunSteps = claimSteps((*adjudication).noDuplicateCheck, (*adjudication).commitReplay)

func (a *adjudication) noDuplicateCheck(context.Context) error {
	a.trace("", "dry run: the stored claim is re-adjudicated")
	return nil
}

func (rep *DryRunReport) add(rec *ClaimRecord, after *Response, members map[string]bool) {
	before := rec.Response
	rep.Claims++
	rep.PlanPaidBefore, rep.PatientBefore = rep.PlanPaidBefore.Add(before.PlanPaid), rep.PatientBefore.Add(before.PatientPay)
	rep.PlanPaidAfter, rep.PatientAfter = rep.PlanPaidAfter.Add(after.PlanPaid), rep.PatientAfter.Add(after.PatientPay)
	if sameOutcome(before, after) {
		return
	}
	rep.Changed++
	members[MemberID(rec.CardholderID, rec.PersonCode)] = true
	rep.Changes = append(rep.Changes, DryRunChange{ClaimID: rec.ID, DateOfService: rec.Key.DateOfService, RxNumber: rec.Key.RxNumber, PlanID: before.PlanID,
		Before: before, After: after})
}

// sameOutcome compares what a dry run reports: status, reject codes and
// every amount.
func sameOutcome(a, b *Response) bool {
	if a.Status != b.Status || !slices.Equal(a.Rejects, b.Rejects) {
		return false
	}
	for i, x := range amounts(a) {
		if !x.Equal(amounts(b)[i]) {
			return false
		}
	}
	return sameNull(a.RemainingBenefit, b.RemainingBenefit) && sameNull(a.RemainingOutOfPocket, b.RemainingOutOfPocket)
}

func sameNull(a, b decimal.NullDecimal) bool {
	return a.Valid == b.Valid && (!a.Valid || a.Decimal.Equal(b.Decimal))
}

func amounts(r *Response) []decimal.Decimal {
	return []decimal.Decimal{r.IngredientCostPaid, r.DispensingFeePaid, r.TotalAllowed, r.PlanPaid, r.PatientPay,
		r.Deductible, r.Copay, r.Coinsurance, r.ProductSelection, r.ExceedingBenefitMax, r.AccumulatedDeductible, r.RemainingDeductible}
}

// draftSnapshot compiles the configuration in force with drafts active,
// as though by (the name a trace gives their activation).
func (e *Engine) draftSnapshot(drafts []EditRef, by string) (*snapshot, error) {
	if len(drafts) == 0 {
		return e.snap.Load(), nil
	}
	e.adminMu.Lock()
	cfg, err := snapshotCopy(e.cfg)
	e.adminMu.Unlock()
	if err != nil {
		return nil, err
	}
	book, err := edits.NewBook(cfg.Edits)
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		ed, err := book.Get(d.ID, d.Version)
		if err != nil {
			return nil, err
		}
		if ed.Status != edits.Draft {
			return nil, fmt.Errorf("%w: %s is %s, not a draft", edits.ErrConflict, ed.Ref(), ed.Status)
		}
		if _, err := book.Activate(d.ID, d.Version, by, time.Time{}, true); err != nil {
			return nil, err
		}
	}
	cfg.Edits = book.All()
	snap, err := compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return snap, nil
}

// selector returns whether a claim is one sel selects: paid now, and
// within its dates, plan, group and client.
func (e *Engine) selector(ctx context.Context, snap *snapshot, sel DryRunSelection) func(*ClaimRecord) bool {
	groups := map[string]*config.Group{} // by cardholder ID
	return func(rec *ClaimRecord) bool {
		if !rec.Paid() || rec.Claim == nil || rec.Response == nil {
			return false
		}
		dos, err := domain.ParseDate(rec.Key.DateOfService)
		if err != nil || !sel.From.IsZero() && dos.Before(sel.From) || !sel.To.IsZero() && dos.After(sel.To) ||
			sel.PlanID != "" && rec.Response.PlanID != sel.PlanID {
			return false
		}
		if sel.GroupID == "" && sel.ClientID == "" {
			return true
		}
		g, ok := groups[rec.CardholderID]
		if !ok {
			if fam, err := e.store.Family(ctx, rec.CardholderID); err == nil && fam != nil {
				g = snap.groups[fam.GroupID]
			}
			groups[rec.CardholderID] = g
		}
		return g != nil && (sel.GroupID == "" || g.ID == sel.GroupID) && (sel.ClientID == "" || g.ClientID == sel.ClientID)
	}
}
