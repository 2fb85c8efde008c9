package adminctl

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
)

// settingsCmd is "adjctl settings": the lifecycle of the PBM's, a
// client's and a group's settings versions.
type settingsCmd struct {
	Show       settingsShowCmd       `cmd:"" help:"Every version of one level's settings, with its dates and audit."`
	Create     settingsCreateCmd     `cmd:"" help:"Store a settings version (JSON or YAML: the bundle's settings, or one entry of its clients or groups) as a new draft."`
	Update     settingsUpdateCmd     `cmd:"" help:"Replace a draft settings version's content (the file names id and version)."`
	Activate   settingsActivateCmd   `cmd:"" help:"Make a draft settings version active (not by its maker)."`
	Inactivate settingsInactivateCmd `cmd:"" help:"Retire a settings version for good (past claims keep their answers)."`
}

// settingsLevel is the level argument of every settings command.
type settingsLevel struct {
	Level string `arg:"" name:"LEVEL" enum:"pbm,client,group" help:"pbm, client or group."`
}

type settingsShowCmd struct {
	settingsLevel
	ID string `arg:"" name:"ID" help:"The client's or group's ID; PBM for the PBM."`
}

func (c *settingsShowCmd) Run(s *session) error {
	list, err := s.admin.SettingsVersions(s.ctx, config.Level(c.Level), c.ID)
	if err != nil {
		return err
	}
	if s.json {
		docs := make([]json.RawMessage, len(list))
		for i, v := range list {
			docs[i] = v.JSON
		}
		return s.printJSON(docs)
	}
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LEVEL\tID\tVERSION\tSTATUS\tEFFECTIVE\tTERMINATION\tCREATED BY\tACTIVATED BY\tINACTIVATED BY")
	for _, v := range list {
		a := v.Audit
		activated := dash(a.ActivatedBy)
		if a.SelfActivated {
			activated += " (self)"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Level, v.ID, v.Version, v.Status, dash(v.Effective.String()),
			dash(v.Termination.String()), dash(a.CreatedBy), activated, dash(a.InactivatedBy))
	}
	return w.Flush()
}

// settingsFile are the arguments of the commands that read a version.
type settingsFile struct {
	settingsLevel
	File string `arg:"" name:"FILE" help:"The settings version, JSON or YAML (.yaml, .yml)."`
}

func (c *settingsFile) read() (config.SettingsVersion, error) {
	return readVersionFile(c.File, func(b []byte) (config.SettingsVersion, error) { return wire.SettingsFromJSON(c.Level, b) })
}

type settingsCreateCmd struct{ settingsFile }

func (c *settingsCreateCmd) Run(s *session) error {
	v, err := c.read()
	if err != nil {
		return err
	}
	return s.printSettings(s.admin.CreateSettingsDraft(s.ctx, v))
}

type settingsUpdateCmd struct{ settingsFile }

func (c *settingsUpdateCmd) Run(s *session) error {
	v, err := c.read()
	if err != nil {
		return err
	}
	return s.printSettings(s.admin.UpdateSettingsDraft(s.ctx, v))
}

// settingsVersionArgs are the arguments of the activation and
// inactivation commands.
type settingsVersionArgs struct {
	settingsLevel
	ID      string `arg:"" name:"ID" help:"The client's or group's ID; PBM for the PBM."`
	Version string `arg:"" name:"VERSION" help:"The version."`
}

type settingsActivateCmd struct{ settingsVersionArgs }

func (c *settingsActivateCmd) Run(s *session) error {
	v, err := parseVersion("settings activate", c.Version)
	if err != nil {
		return err
	}
	return s.printSettings(s.admin.ActivateSettings(s.ctx, config.Level(c.Level), c.ID, v))
}

type settingsInactivateCmd struct{ settingsVersionArgs }

func (c *settingsInactivateCmd) Run(s *session) error {
	v, err := parseVersion("settings inactivate", c.Version)
	if err != nil {
		return err
	}
	return s.printSettings(s.admin.InactivateSettings(s.ctx, config.Level(c.Level), c.ID, v))
}

func (c *session) printSettings(v config.SettingsVersion, err error) error {
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(json.RawMessage(v.JSON))
	}
	return c.printVersion(v.Ref(), &v.Dated, v.Audit)
}
