package adjudicator

import (
	"context"
	"errors"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Plan versions (DOMAIN.md §3): created as Drafts, activated by someone
// other than their maker, inactivated for good, like edits. Each change is
// a configuration version, written with its audit entry; claims already
// adjudicated keep the version they recorded, so replay is unchanged.

// CreatePlanDraft stores a new Draft plan version: version 1 of a new plan
// or the next version of an existing one. Its maker is audit.Subject.
func (e *Engine) CreatePlanDraft(ctx context.Context, p config.Plan, audit *AuditEntry) (config.Plan, error) {
	return e.planChange(ctx, audit, func(c *config.Config) (config.Plan, error) {
		return c.CreatePlanDraft(p, audit.subject(), e.now())
	})
}

// UpdatePlanDraft replaces the content of a Draft plan version.
func (e *Engine) UpdatePlanDraft(ctx context.Context, p config.Plan, audit *AuditEntry) (config.Plan, error) {
	return e.planChange(ctx, audit, func(c *config.Config) (config.Plan, error) {
		return c.UpdatePlanDraft(p, audit.subject(), e.now())
	})
}

// ActivatePlan makes a Draft plan version Active: claims of its dates use
// it at once. The checker is audit.Subject; maker-checker applies unless
// the PBM settings allow self-activation.
func (e *Engine) ActivatePlan(ctx context.Context, id string, version int, audit *AuditEntry) (config.Plan, error) {
	return e.planChange(ctx, audit, func(c *config.Config) (config.Plan, error) {
		p, err := c.ActivatePlan(id, version, audit.subject(), e.now())
		if p.Audit.SelfActivated {
			audit.Detail = "self-activation (settings.allow_self_activation)"
		}
		return p, err
	})
}

// InactivatePlan retires a plan version for good.
func (e *Engine) InactivatePlan(ctx context.Context, id string, version int, audit *AuditEntry) (config.Plan, error) {
	return e.planChange(ctx, audit, func(c *config.Config) (config.Plan, error) {
		return c.InactivatePlan(id, version, audit.subject(), e.now())
	})
}

// PlanVersions returns every version of plan id.
func (e *Engine) PlanVersions(id string) ([]config.Plan, error) {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	vs := e.cfg.PlanVersions(id)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: plan %s", edits.ErrNotFound, id)
	}
	// A deep copy: the caller may change what it gets.
	cp, err := snapshotCopy(&config.Config{Plans: vs})
	if err != nil {
		return nil, err
	}
	return cp.Plans, nil
}

// planChange applies one lifecycle step to the configuration's plans and
// names the version it touched in audit.
func (e *Engine) planChange(ctx context.Context, audit *AuditEntry, fn func(*config.Config) (config.Plan, error)) (config.Plan, error) {
	return versionChange(ctx, e, audit, fn, func(p config.Plan) string { return PlanObject(p.ID, p.Version) })
}

// versionChange applies one lifecycle step to a versioned record of the
// configuration (a plan or network version) and names the version it
// touched in audit, as object says.
func versionChange[T any](ctx context.Context, e *Engine, audit *AuditEntry, fn func(*config.Config) (T, error), object func(T) string) (T, error) {
	var out, zero T
	err := e.change(ctx, audit, func(c *config.Config, _ *edits.Book, _ *ConfigWrite) (err error) {
		if err := c.Normalize(); err != nil {
			return err
		}
		if out, err = fn(c); err == nil {
			audit.Objects = appendObject(audit.Objects, object(out))
		}
		return err
	})
	var ps domain.Problems
	if errors.As(err, &ps) {
		return zero, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err != nil {
		return zero, err
	}
	return out, nil
}
