package config

import (
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Plan versions follow the edit lifecycle (DOMAIN.md §3): the methods below
// apply its transitions (versions.go) to the versions of a plan in
// c.Plans. c must be normalized (Normalize).

// Ref names one version of a plan.
func (p *Plan) Ref() string { return fmt.Sprintf("plan %s v%d", p.ID, p.Version) }

func (p *Plan) key() string         { return p.ID }
func (p *Plan) dated() *Dated       { return &p.Dated }
func (p *Plan) audit() *edits.Audit { return &p.Audit }

// PlanVersions returns the versions of plan id, by version.
func (c *Config) PlanVersions(id string) []Plan { return versionsOf(c.Plans, id) }

// CreatePlanDraft adds p as a Draft: version 1 of a new plan or the next
// version of an existing one. A plan has at most one Draft at a time. The
// plan shorthand for financial edits is refused: those are edits.
func (c *Config) CreatePlanDraft(p Plan, user string, now time.Time) (Plan, error) {
	if err := checkDraftContent(&p); err != nil {
		return Plan{}, err
	}
	return createDraft(&c.Plans, "plan", p, user, now)
}

// UpdatePlanDraft replaces the content of a Draft version (p.ID and
// p.Version name it); its creator stays.
func (c *Config) UpdatePlanDraft(p Plan, user string, now time.Time) (Plan, error) {
	if err := checkDraftContent(&p); err != nil {
		return Plan{}, err
	}
	return updateDraft(&c.Plans, "plan", p, user, now)
}

// ActivatePlan makes a Draft version Active, maker-checker applying unless
// the PBM settings allow self-activation. A version that would hide an
// Active version of the plan entirely is refused (versions.go, activate).
func (c *Config) ActivatePlan(id string, version int, user string, now time.Time) (Plan, error) {
	return activate(&c.Plans, "plan", id, version, user, now, c.PBM().AllowSelfActivation)
}

// InactivatePlan retires a Draft or Active version for good. Claims
// already adjudicated under it keep their answers (they record the
// configuration version they ran under); later claims of its dates find no
// version in force, unless an earlier one is still in force then.
func (c *Config) InactivatePlan(id string, version int, user string, now time.Time) (Plan, error) {
	return inactivate(&c.Plans, "plan", id, version, user, now)
}

// CheckPlanVersions reports each pair of Active versions of one plan that
// overlap (ActivatePlan refuses them; a bundle may not bring them either)
// and each version that appears twice.
func (c *Config) CheckPlanVersions() error { return checkVersions(c.Plans, "plans") }

// ImportPlans puts the plan versions of src into c as an import does
// (importVersions) and returns how many changed.
func (c *Config) ImportPlans(src []Plan, maker, checker string, now time.Time) (int, error) {
	return importVersions(&c.Plans, src, maker, checker, now)
}

// checkDraftContent refuses what a plan version may not carry: the
// shorthand for financial edits (deductible, out_of_pocket, cost_share).
func checkDraftContent(p *Plan) error {
	if !edits.ValidID(p.ID) {
		return invalidRecord(fmt.Sprintf("plan %s: id must be 1 to 64 letters, digits, '-', '_' or '.'", domain.Quote(p.ID)))
	}
	if !p.Deductible.Individual.IsZero() || !p.Deductible.Family.IsZero() || !p.OutOfPocket.Individual.IsZero() ||
		!p.OutOfPocket.Family.IsZero() || len(p.CostShare) > 0 {
		return invalidRecord(fmt.Sprintf("plan %s: deductible, out_of_pocket and cost_share are edits of the plan; change them through the edit lifecycle", p.ID))
	}
	return nil
}

// invalidRecord is an edits.ErrInvalid that names a plan or network, not
// an edit.
type invalidRecord string

func (e invalidRecord) Error() string { return string(e) }
func (e invalidRecord) Unwrap() error { return edits.ErrInvalid }
