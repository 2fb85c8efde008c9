package adjudicator

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Enrollment: what the loader sidecar syncs in. Every method is an
// idempotent upsert: calling it again with the same input changes nothing.

// Family returns the stored family with the cardholder ID, or nil.
func (e *Engine) Family(ctx context.Context, cardholderID string) (*domain.Family, error) {
	return e.store.Family(ctx, cardholderID)
}

// SyncFamilies deletes the removed families (cardholder IDs), writes the
// families and strips every coverage of the cancelled ones, keeping their
// members for claim history. A cancelled family the store does not hold is
// skipped. A removed family with paid claims cannot be deleted: it is
// cancelled instead, and returned in kept.
//
// Each deletion is its own write, with its own audit entry (a copy of
// audit saying so); the writes of the other families carry audit itself,
// which then counts the whole batch. A nil audit records nothing.
func (e *Engine) SyncFamilies(ctx context.Context, fams []domain.Family, cancelled, removed []string, audit *AuditEntry) (kept []string, err error) {
	if err := e.snap.Load().checkCoveragePlans(fams); err != nil {
		return nil, err
	}
	cancelled = slices.Clone(cancelled)
	deleted := 0
	for _, id := range removed {
		err := e.RemoveFamily(ctx, id, audit.part("removed 1 family (one write of a batch)"))
		switch {
		case errors.Is(err, ErrFamilyHasClaims):
			kept = append(kept, id)
			cancelled = append(cancelled, id)
			continue
		case err != nil:
			return kept, err
		}
		deleted++
	}
	out := append([]domain.Family(nil), fams...)
	for _, id := range cancelled {
		f, err := e.store.Family(ctx, id)
		if err != nil {
			return kept, err
		}
		if f == nil {
			continue
		}
		c := domain.Family{CardholderID: f.CardholderID, GroupID: f.GroupID}
		for _, m := range f.Members {
			m.Coverages = nil
			c.Members = append(c.Members, m)
		}
		out = append(out, c)
	}
	audit.setDetail(fmt.Sprintf("families %d, cancelled %d, removed %d, kept (cancelled, having paid claims) %d",
		len(fams), len(cancelled)-len(kept), deleted, len(kept)))
	if len(out) == 0 {
		return kept, nil
	}
	return kept, e.PutFamilies(ctx, out, audit)
}

// RemoveFamily deletes a family that has no paid claims (a family a rewind
// undid the creation of), with audit. Deleting an absent family changes
// nothing; a family with paid claims is refused with ErrFamilyHasClaims.
// Claims of the family are held off while the check and the delete run.
func (e *Engine) RemoveFamily(ctx context.Context, cardholderID string, audit *AuditEntry) error {
	r, ok := e.configs.(FamilyRemover)
	if !ok {
		return errors.New("adjudicator: the store cannot remove families")
	}
	if audit != nil && audit.Outcome == "" {
		audit.Outcome = AuditOK
	}
	unlock, err := e.lockFamilies(ctx, cardholderID)
	if err != nil {
		return err
	}
	defer unlock()
	return e.familyWrite(func(at string) error { return r.RemoveFamily(ctx, cardholderID, at, audit) })
}

// Catalog is reference data the loader syncs: drugs, pharmacies, networks
// and schedules.
type Catalog struct {
	Drugs      []domain.Drug
	Pharmacies []domain.Pharmacy
	Networks   []domain.Network
	Schedules  []edits.Schedule
	// Prescribers are replaced by NPI.
	Prescribers []domain.Prescriber
}

// UpsertCatalog replaces drugs, pharmacies and prescribers by key (NDC,
// NPI), adding those not yet known, and schedules and networks as
// config.SyncSchedules and config.SyncNetworks say (one with dated
// versions is refused), in one
// configuration change written with audit (required, as for every configuration change): all
// of it applies or none.
func (e *Engine) UpsertCatalog(ctx context.Context, cat Catalog, audit *AuditEntry) error {
	if len(cat.Drugs)+len(cat.Pharmacies)+len(cat.Networks)+len(cat.Schedules)+len(cat.Prescribers) == 0 {
		return nil
	}
	audit.setDetail(fmt.Sprintf("drugs %d, pharmacies %d, networks %d, schedules %d, prescribers %d",
		len(cat.Drugs), len(cat.Pharmacies), len(cat.Networks), len(cat.Schedules), len(cat.Prescribers)))
	return e.UpdateConfig(ctx, audit, func(c *config.Config) error {
		if err := c.SyncSchedules(cat.Schedules); err != nil {
			return err
		}
		if err := c.SyncNetworks(cat.Networks); err != nil {
			return err
		}
		upsert(&c.Drugs, cat.Drugs, func(x domain.Drug) string { return x.NDC })
		upsert(&c.Pharmacies, cat.Pharmacies, func(x domain.Pharmacy) string { return x.NPI })
		upsert(&c.Prescribers, cat.Prescribers, func(x domain.Prescriber) string { return x.NPI })
		return nil
	})
}

// ReverseClaim reverses a stored paid claim by its ID with a B2 built from
// the claim itself, so a retry is recognised as the same reversal; an
// accepted reversal is committed with audit. It reports whether the claim
// had already been reversed.
func (e *Engine) ReverseClaim(ctx context.Context, claimID string, audit *AuditEntry) (*Response, bool, error) {
	reader, ok := e.store.(ClaimReader)
	if !ok {
		return nil, false, errors.New("adjudicator: the store cannot read claims by ID")
	}
	rec, err := reader.Claim(claimID)
	if err != nil {
		return nil, false, err
	}
	if rec == nil || rec.Claim == nil {
		return nil, false, fmt.Errorf("%w: no claim %s", ErrNotFound, claimID)
	}
	if !rec.Paid() {
		return rec.Reversal.Response, true, nil
	}
	c := rec.Claim
	r, err := e.reverse(ctx, &Reversal{
		BIN: c.BIN, PCN: c.PCN, CardholderID: c.CardholderID, PharmacyNPI: c.PharmacyNPI,
		RxNumber: c.RxNumber, FillNumber: c.FillNumber, DateOfService: c.DateOfService, ProductID: c.ProductID,
	}, audit)
	return r, false, err
}

// checkCoveragePlans refuses families covered by a plan the configuration
// does not have (a bundle import checks the same): such a member would be
// stored only to reject 65 on every claim. The error names positions, not
// cardholder IDs.
func (s *snapshot) checkCoveragePlans(fams []domain.Family) error {
	var ps domain.Problems
	for i, f := range fams {
		for j, m := range f.Members {
			for k, cov := range m.Coverages {
				if _, ok := s.plans[cov.PlanID]; cov.PlanID != "" && !ok {
					ps.Addf(fmt.Sprintf("families[%d].members[%d].coverages[%d]", i, j, k), "unknown plan %q", cov.PlanID)
				}
			}
		}
	}
	if err := ps.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
