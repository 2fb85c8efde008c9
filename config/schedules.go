package config

import (
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Schedule is one version of a schedule (a rate schedule or an adjustment
// rule, DOMAIN.md §9): its columns and dated lines, in force from
// Effective to Termination (both optional). A schedule ID may have several
// versions, which go through Draft → Active → Inactive with maker-checker
// and hand over by date like plan and network versions (DOMAIN.md §3);
// within its window, each line still applies on its own dates. A schedule
// without version or status in a bundle or the loader's schedule file is
// version 1, Active, in force on every date: what a schedule always meant.
type Schedule struct {
	edits.Schedule `yaml:",inline"`
	Dated          `yaml:",inline"`
	// Audit is this environment's history of the version, as for edits.
	Audit edits.Audit `json:"audit,omitzero"`
}

// Ref names one version of a schedule.
func (s *Schedule) Ref() string { return fmt.Sprintf("schedule %s v%d", s.ID, s.Version) }

func (s *Schedule) key() string         { return s.ID }
func (s *Schedule) dated() *Dated       { return &s.Dated }
func (s *Schedule) audit() *edits.Audit { return &s.Audit }

// Validate checks the version's number, status and dates (its columns
// and lines are checked when it compiles, edits.CompileSchedule).
func (s *Schedule) Validate() error {
	var ps domain.Problems
	s.Dated.validate(&ps)
	return ps.Err()
}

// ScheduleVersions returns the versions of schedule id, by version.
func (c *Config) ScheduleVersions(id string) []Schedule { return versionsOf(c.Schedules, id) }

// CreateScheduleDraft adds s as a Draft: version 1 of a new schedule or
// the next version of an existing one. A schedule has at most one Draft at
// a time.
func (c *Config) CreateScheduleDraft(s Schedule, user string, now time.Time) (Schedule, error) {
	if err := checkScheduleDraft(c, &s); err != nil {
		return Schedule{}, err
	}
	return createDraft(&c.Schedules, "schedule", s, user, now)
}

// UpdateScheduleDraft replaces the content of a Draft version (s.ID and
// s.Version name it); its creator stays.
func (c *Config) UpdateScheduleDraft(s Schedule, user string, now time.Time) (Schedule, error) {
	if err := checkScheduleDraft(c, &s); err != nil {
		return Schedule{}, err
	}
	return updateDraft(&c.Schedules, "schedule", s, user, now)
}

// ActivateSchedule makes a Draft version Active, maker-checker applying
// unless the PBM settings allow self-activation; overlapping Active
// versions are refused (versions.go, activate).
func (c *Config) ActivateSchedule(id string, version int, user string, now time.Time) (Schedule, error) {
	return activate(&c.Schedules, "schedule", id, version, user, now, c.PBM().AllowSelfActivation)
}

// InactivateSchedule retires a Draft or Active version for good. Past
// claims keep their answers; later claims of its dates find no version in
// force, unless an earlier one still is, and then no line of the schedule
// applies to them.
func (c *Config) InactivateSchedule(id string, version int, user string, now time.Time) (Schedule, error) {
	return inactivate(&c.Schedules, "schedule", id, version, user, now)
}

// CheckScheduleVersions reports overlapping Active versions of one
// schedule, versions that appear twice, and versions of one schedule of
// different kinds.
func (c *Config) CheckScheduleVersions() error {
	var ps domain.Problems
	ps.Add("", checkVersions(c.Schedules, "schedules"))
	kinds := map[string]edits.ScheduleKind{}
	for i := range c.Schedules {
		s := &c.Schedules[i]
		if k, ok := kinds[s.ID]; ok && k != s.Kind {
			ps.Addf(domain.Index("schedules", i), "%s is a %s schedule and another version of it a %s one; a schedule keeps its kind", s.Ref(), s.Kind, k)
		} else if !ok {
			kinds[s.ID] = s.Kind
		}
	}
	return ps.Err()
}

// checkScheduleDraft refuses a draft without a plain ID, or of another
// kind than the schedule's other versions (its lines are checked when the
// configuration compiles, like every record's).
func checkScheduleDraft(c *Config, s *Schedule) error {
	if !edits.ValidID(s.ID) {
		return invalidRecord(fmt.Sprintf("schedule %s: id must be 1 to 64 letters, digits, '-', '_' or '.'", domain.Quote(s.ID)))
	}
	for _, o := range c.ScheduleVersions(s.ID) {
		if o.Kind != s.Kind {
			return invalidRecord(fmt.Sprintf("schedule %s is a %s schedule; a draft of it cannot change its kind to %s", s.ID, o.Kind, domain.Quote(string(s.Kind))))
		}
	}
	return nil
}

// ImportSchedules puts the schedule versions of src into c as an import
// does (importVersions) and returns how many changed.
func (c *Config) ImportSchedules(src []Schedule, maker, checker string, now time.Time) (int, error) {
	return importVersions(&c.Schedules, src, maker, checker, now)
}

// SyncSchedules applies the loader's schedule file: schedules without
// versions, as syncUndated says.
func (c *Config) SyncSchedules(ss []edits.Schedule) error {
	in := make([]Schedule, len(ss))
	for i, s := range ss {
		in[i].Schedule = s
	}
	return syncUndated(&c.Schedules, in, "schedule", "its lines", "adjctl schedules")
}
