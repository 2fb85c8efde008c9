package adminctl

import (
	"fmt"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
)

// schedulesCmd is "adjctl schedules": the schedule version lifecycle (rate
// schedules and adjustment rules).
type schedulesCmd struct {
	Show       scheduleShowCmd       `cmd:"" help:"Every version of a schedule, with its dates and audit."`
	Create     scheduleCreateCmd     `cmd:"" help:"Store a schedule version (JSON or YAML, one entry of a bundle's schedules) as a new draft: version 1 of a new schedule, or the next."`
	Update     scheduleUpdateCmd     `cmd:"" help:"Replace a draft schedule version's content (the file names id and version)."`
	Activate   scheduleActivateCmd   `cmd:"" help:"Make a draft schedule version active (not by its maker)."`
	Inactivate scheduleInactivateCmd `cmd:"" help:"Retire a schedule version for good (past claims keep their answers)."`
}

type scheduleShowCmd struct {
	ID string `arg:"" name:"ID" help:"The schedule's ID."`
}

func (c *scheduleShowCmd) Run(s *session) error {
	list, err := s.admin.ScheduleVersions(s.ctx, c.ID)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(list)
	}
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tVERSION\tSTATUS\tEFFECTIVE\tTERMINATION\tKIND\tLINES\tCREATED BY\tACTIVATED BY\tINACTIVATED BY")
	for _, n := range list {
		a := n.Audit
		activated := dash(a.ActivatedBy)
		if a.SelfActivated {
			activated += " (self)"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", n.ID, n.Version, n.Status, dash(n.Effective.String()),
			dash(n.Termination.String()), n.Kind, len(n.Lines), dash(a.CreatedBy), activated, dash(a.InactivatedBy))
	}
	return w.Flush()
}

// scheduleFile is the argument of the commands that read a schedule version.
type scheduleFile struct {
	File string `arg:"" name:"FILE" help:"The schedule version, JSON or YAML (.yaml, .yml)."`
}

type scheduleCreateCmd struct{ scheduleFile }

func (c *scheduleCreateCmd) Run(s *session) error {
	n, err := readSchedule(c.File)
	if err != nil {
		return err
	}
	return s.printSchedule(s.admin.CreateScheduleDraft(s.ctx, n))
}

type scheduleUpdateCmd struct{ scheduleFile }

func (c *scheduleUpdateCmd) Run(s *session) error {
	n, err := readSchedule(c.File)
	if err != nil {
		return err
	}
	return s.printSchedule(s.admin.UpdateScheduleDraft(s.ctx, n))
}

// scheduleVersionArgs are the arguments of the schedule lifecycle commands.
type scheduleVersionArgs struct {
	ID      string `arg:"" name:"ID" help:"The schedule's ID."`
	Version string `arg:"" name:"VERSION" help:"The version."`
}

type scheduleActivateCmd struct{ scheduleVersionArgs }

func (c *scheduleActivateCmd) Run(s *session) error {
	v, err := parseVersion("schedules activate", c.Version)
	if err != nil {
		return err
	}
	return s.printSchedule(s.admin.ActivateSchedule(s.ctx, c.ID, v))
}

type scheduleInactivateCmd struct{ scheduleVersionArgs }

func (c *scheduleInactivateCmd) Run(s *session) error {
	v, err := parseVersion("schedules inactivate", c.Version)
	if err != nil {
		return err
	}
	return s.printSchedule(s.admin.InactivateSchedule(s.ctx, c.ID, v))
}

// readSchedule reads a schedule version file (readVersionFile).
func readSchedule(path string) (config.Schedule, error) {
	return readVersionFile(path, wire.ScheduleFromJSON)
}

func (c *session) printSchedule(n config.Schedule, err error) error {
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(n)
	}
	return c.printVersion(n.Ref(), &n.Dated, n.Audit)
}
