package adminctl

import (
	"os"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/client"
)

type listCmd struct {
	Status string `help:"Only this status (DRAFT, ACTIVE, INACTIVE)."`
	Kind   string `help:"Only this kind (e.g. COST_SHARE)."`
	Level  string `help:"Only this level (PBM, CLIENT, GROUP, PLAN or e.g. \"PLAN PPO-2026\")."`
}

func (c *listCmd) Run(s *session) error {
	list, err := s.admin.Edits(s.ctx, client.EditFilter{Status: c.Status, Kind: c.Kind, Level: c.Level})
	if err != nil {
		return err
	}
	return s.printEdits(list, false)
}

type showCmd struct {
	ID string `arg:"" name:"ID" help:"The edit's ID."`
}

func (c *showCmd) Run(s *session) error {
	list, err := s.admin.EditVersions(s.ctx, c.ID)
	if err != nil {
		return err
	}
	return s.printEdits(list, true)
}

// editFile is the argument of the commands that read an edit.
type editFile struct {
	File string `arg:"" name:"FILE" help:"The edit, JSON or YAML (.yaml, .yml)."`
}

type createCmd struct{ editFile }

func (c *createCmd) Run(s *session) error {
	ed, err := readEdit(c.File)
	if err != nil {
		return err
	}
	return s.printEdit(s.admin.CreateDraft(s.ctx, ed))
}

type updateCmd struct{ editFile }

func (c *updateCmd) Run(s *session) error {
	ed, err := readEdit(c.File)
	if err != nil {
		return err
	}
	return s.printEdit(s.admin.UpdateDraft(s.ctx, ed))
}

type validateCmd struct{ editFile }

func (c *validateCmd) Run(s *session) error {
	ed, err := readEdit(c.File)
	if err != nil {
		return err
	}
	return s.validate(s.ctx, ed)
}

// versionArgs are the arguments of the lifecycle commands.
type versionArgs struct {
	ID      string `arg:"" name:"ID" help:"The edit's ID."`
	Version string `arg:"" name:"VERSION" help:"The version."`
}

type activateCmd struct{ versionArgs }

func (c *activateCmd) Run(s *session) error {
	v, err := parseVersion("edits activate", c.Version)
	if err != nil {
		return err
	}
	e, warnings, err := s.admin.ActivateWithWarnings(s.ctx, c.ID, v)
	if err := s.printEdit(e, err); err != nil {
		return err
	}
	if !s.json {
		s.printWarnings(warnings)
	}
	return nil
}

type inactivateCmd struct{ versionArgs }

func (c *inactivateCmd) Run(s *session) error {
	v, err := parseVersion("edits inactivate", c.Version)
	if err != nil {
		return err
	}
	return s.printEdit(s.admin.Inactivate(s.ctx, c.ID, v))
}

type exportCmd struct {
	File string `arg:"" optional:"" name:"FILE" help:"Where to write the bundle; standard output without it."`
}

func (c *exportCmd) Run(s *session) error {
	b, err := s.admin.ExportBundle(s.ctx)
	if err != nil {
		return err
	}
	if c.File == "" {
		_, err = s.out.Write(b)
		return err
	}
	return os.WriteFile(c.File, b, 0o644)
}

type importCmd struct {
	File string `arg:"" name:"FILE" help:"The bundle, YAML or JSON."`
}

func (c *importCmd) Run(s *session) error {
	b, err := os.ReadFile(c.File)
	if err != nil {
		return err
	}
	p, err := s.admin.ImportBundle(s.ctx, b)
	if err != nil {
		return err
	}
	return s.printPending(p)
}

type testClaimCmd struct {
	Claim  string   `arg:"" name:"CLAIM.json" help:"The claim."`
	Drafts []string `name:"draft" placeholder:"ID:VERSION" help:"A draft version to apply as though active (repeatable)."`
}

func (c *testClaimCmd) Run(s *session) error {
	var drafts []adjudicator.EditRef
	for _, d := range c.Drafts {
		r, err := parseRef(d)
		if err != nil {
			return err
		}
		drafts = append(drafts, r)
	}
	claim, err := readClaim(c.Claim)
	if err != nil {
		return err
	}
	r, err := s.admin.TestClaim(s.ctx, claim, drafts)
	if err != nil {
		return err
	}
	return s.printResult(r)
}
