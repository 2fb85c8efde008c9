package adjudicator

import (
	"context"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
)

// Schedule versions (DOMAIN.md §3, §9): a rate schedule's or an
// adjustment rule's lines change by dated versions with the lifecycle of
// plan and network versions. Each change is a configuration version
// written with its audit entry; claims already adjudicated keep the
// version they recorded, so replay is unchanged.

// CreateScheduleDraft stores a new Draft schedule version: version 1 of a
// new schedule or the next version of an existing one. Its maker is
// audit.Subject.
func (e *Engine) CreateScheduleDraft(ctx context.Context, s config.Schedule, audit *AuditEntry) (config.Schedule, error) {
	return e.scheduleChange(ctx, audit, func(c *config.Config) (config.Schedule, error) {
		return c.CreateScheduleDraft(s, audit.subject(), e.now())
	})
}

// UpdateScheduleDraft replaces the content of a Draft schedule version.
func (e *Engine) UpdateScheduleDraft(ctx context.Context, s config.Schedule, audit *AuditEntry) (config.Schedule, error) {
	return e.scheduleChange(ctx, audit, func(c *config.Config) (config.Schedule, error) {
		return c.UpdateScheduleDraft(s, audit.subject(), e.now())
	})
}

// ActivateSchedule makes a Draft schedule version Active: claims of its
// dates take amounts from it at once. The checker is audit.Subject;
// maker-checker applies unless the PBM settings allow self-activation.
func (e *Engine) ActivateSchedule(ctx context.Context, id string, version int, audit *AuditEntry) (config.Schedule, error) {
	return e.scheduleChange(ctx, audit, func(c *config.Config) (config.Schedule, error) {
		s, err := c.ActivateSchedule(id, version, audit.subject(), e.now())
		if s.Audit.SelfActivated {
			audit.Detail = "self-activation (settings.allow_self_activation)"
		}
		return s, err
	})
}

// InactivateSchedule retires a schedule version for good.
func (e *Engine) InactivateSchedule(ctx context.Context, id string, version int, audit *AuditEntry) (config.Schedule, error) {
	return e.scheduleChange(ctx, audit, func(c *config.Config) (config.Schedule, error) {
		return c.InactivateSchedule(id, version, audit.subject(), e.now())
	})
}

// ScheduleVersions returns every version of schedule id.
func (e *Engine) ScheduleVersions(id string) ([]config.Schedule, error) {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	vs := e.cfg.ScheduleVersions(id)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: schedule %s", edits.ErrNotFound, id)
	}
	// A deep copy: the caller may change what it gets.
	cp, err := snapshotCopy(&config.Config{Schedules: vs})
	if err != nil {
		return nil, err
	}
	return cp.Schedules, nil
}

// scheduleChange applies one lifecycle step to the configuration's
// schedules and names the version it touched in audit.
func (e *Engine) scheduleChange(ctx context.Context, audit *AuditEntry, fn func(*config.Config) (config.Schedule, error)) (config.Schedule, error) {
	return versionChange(ctx, e, audit, fn, func(s config.Schedule) string { return ScheduleObject(s.ID, s.Version) })
}
