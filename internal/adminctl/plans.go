package adminctl

import (
	"fmt"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire"
)

// plansCmd is "adjctl plans": the plan version lifecycle.
type plansCmd struct {
	Show       planShowCmd       `cmd:"" help:"Every version of a plan, with its dates and audit."`
	Create     planCreateCmd     `cmd:"" help:"Store a plan version (JSON or YAML, one entry of a bundle's plans) as a new draft."`
	Update     planUpdateCmd     `cmd:"" help:"Replace a draft plan version's content (the file names id and version)."`
	Activate   planActivateCmd   `cmd:"" help:"Make a draft plan version active (not by its maker)."`
	Inactivate planInactivateCmd `cmd:"" help:"Retire a plan version for good (past claims keep their answers)."`
}

type planShowCmd struct {
	ID string `arg:"" name:"ID" help:"The plan's ID."`
}

func (c *planShowCmd) Run(s *session) error {
	list, err := s.admin.PlanVersions(s.ctx, c.ID)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(list)
	}
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tVERSION\tSTATUS\tEFFECTIVE\tTERMINATION\tNAME\tCREATED BY\tACTIVATED BY\tINACTIVATED BY")
	for _, p := range list {
		a := p.Audit
		activated := dash(a.ActivatedBy)
		if a.SelfActivated {
			activated += " (self)"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Version, p.Status, dash(p.Effective.String()),
			dash(p.Termination.String()), dash(p.Name), dash(a.CreatedBy), activated, dash(a.InactivatedBy))
	}
	return w.Flush()
}

// planFile is the argument of the commands that read a plan version.
type planFile struct {
	File string `arg:"" name:"FILE" help:"The plan version, JSON or YAML (.yaml, .yml)."`
}

type planCreateCmd struct{ planFile }

func (c *planCreateCmd) Run(s *session) error {
	p, err := readPlan(c.File)
	if err != nil {
		return err
	}
	return s.printPlan(s.admin.CreatePlanDraft(s.ctx, p))
}

type planUpdateCmd struct{ planFile }

func (c *planUpdateCmd) Run(s *session) error {
	p, err := readPlan(c.File)
	if err != nil {
		return err
	}
	return s.printPlan(s.admin.UpdatePlanDraft(s.ctx, p))
}

// planVersionArgs are the arguments of the plan lifecycle commands.
type planVersionArgs struct {
	ID      string `arg:"" name:"ID" help:"The plan's ID."`
	Version string `arg:"" name:"VERSION" help:"The version."`
}

type planActivateCmd struct{ planVersionArgs }

func (c *planActivateCmd) Run(s *session) error {
	v, err := parseVersion("plans activate", c.Version)
	if err != nil {
		return err
	}
	return s.printPlan(s.admin.ActivatePlan(s.ctx, c.ID, v))
}

type planInactivateCmd struct{ planVersionArgs }

func (c *planInactivateCmd) Run(s *session) error {
	v, err := parseVersion("plans inactivate", c.Version)
	if err != nil {
		return err
	}
	return s.printPlan(s.admin.InactivatePlan(s.ctx, c.ID, v))
}

// readPlan reads a plan version file (readVersionFile).
func readPlan(path string) (config.Plan, error) { return readVersionFile(path, wire.PlanFromJSON) }

func (c *session) printPlan(p config.Plan, err error) error {
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(p)
	}
	return c.printVersion(p.Ref(), &p.Dated, p.Audit)
}

// printVersion prints one version of a plan or network: its status, dates
// and who took its last step.
func (c *session) printVersion(ref string, d *config.Dated, a edits.Audit) error {
	by := "created by " + a.CreatedBy
	switch {
	case d.Status == edits.Inactive:
		by = "inactivated by " + a.InactivatedBy
	case d.Status == edits.Active:
		by = "activated by " + a.ActivatedBy
	case a.UpdatedBy != "":
		by = "updated by " + a.UpdatedBy
	}
	_, err := fmt.Fprintf(c.out, "%s %s (effective %s to %s, %s)\n", ref, d.Status, dash(d.Effective.String()), dash(d.Termination.String()), by)
	return err
}
