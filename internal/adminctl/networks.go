package adminctl

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/goccy/go-yaml"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
)

// networksCmd is "adjctl networks": the network version lifecycle.
type networksCmd struct {
	Show       networkShowCmd       `cmd:"" help:"Every version of a network, with its dates and audit."`
	Create     networkCreateCmd     `cmd:"" help:"Store a network version (JSON or YAML, one entry of a bundle's networks) as a new draft."`
	Update     networkUpdateCmd     `cmd:"" help:"Replace a draft network version's content (the file names id and version)."`
	Activate   networkActivateCmd   `cmd:"" help:"Make a draft network version active (not by its maker)."`
	Inactivate networkInactivateCmd `cmd:"" help:"Retire a network version for good (past claims keep their answers)."`
}

type networkShowCmd struct {
	ID string `arg:"" name:"ID" help:"The network's ID."`
}

func (c *networkShowCmd) Run(s *session) error {
	list, err := s.admin.NetworkVersions(s.ctx, c.ID)
	if err != nil {
		return err
	}
	if s.json {
		return s.printJSON(list)
	}
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tVERSION\tSTATUS\tEFFECTIVE\tTERMINATION\tTYPE\tTERMS\tCREATED BY\tACTIVATED BY\tINACTIVATED BY")
	for _, n := range list {
		a := n.Audit
		activated := dash(a.ActivatedBy)
		if a.SelfActivated {
			activated += " (self)"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", n.ID, n.Version, n.Status, dash(n.Effective.String()),
			dash(n.Termination.String()), n.Type, len(n.Pricing), dash(a.CreatedBy), activated, dash(a.InactivatedBy))
	}
	return w.Flush()
}

// networkFile is the argument of the commands that read a network version.
type networkFile struct {
	File string `arg:"" name:"FILE" help:"The network version, JSON or YAML (.yaml, .yml)."`
}

type networkCreateCmd struct{ networkFile }

func (c *networkCreateCmd) Run(s *session) error {
	n, err := readNetwork(c.File)
	if err != nil {
		return err
	}
	return s.printNetwork(s.admin.CreateNetworkDraft(s.ctx, n))
}

type networkUpdateCmd struct{ networkFile }

func (c *networkUpdateCmd) Run(s *session) error {
	n, err := readNetwork(c.File)
	if err != nil {
		return err
	}
	return s.printNetwork(s.admin.UpdateNetworkDraft(s.ctx, n))
}

// networkVersionArgs are the arguments of the network lifecycle commands.
type networkVersionArgs struct {
	ID      string `arg:"" name:"ID" help:"The network's ID."`
	Version string `arg:"" name:"VERSION" help:"The version."`
}

type networkActivateCmd struct{ networkVersionArgs }

func (c *networkActivateCmd) Run(s *session) error {
	v, err := parseVersion("networks activate", c.Version)
	if err != nil {
		return err
	}
	return s.printNetwork(s.admin.ActivateNetwork(s.ctx, c.ID, v))
}

type networkInactivateCmd struct{ networkVersionArgs }

func (c *networkInactivateCmd) Run(s *session) error {
	v, err := parseVersion("networks inactivate", c.Version)
	if err != nil {
		return err
	}
	return s.printNetwork(s.admin.InactivateNetwork(s.ctx, c.ID, v))
}

// readNetwork reads a network version file (readVersionFile).
func readNetwork(path string) (config.Network, error) {
	return readVersionFile(path, wire.NetworkFromJSON)
}

func (c *session) printNetwork(n config.Network, err error) error {
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(n)
	}
	return c.printVersion(n.Ref(), &n.Dated, n.Audit)
}

// readVersionFile reads a plan, network or schedule version file: JSON, or YAML (a
// .yaml or .yml file). Unknown fields are errors.
func readVersionFile[T any](path string, fromJSON func([]byte) (T, error)) (T, error) {
	var zero T
	b, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	if isYAML(path) {
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return zero, fmt.Errorf("%s: %w", path, err)
		}
	}
	v, err := fromJSON(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
