package config

import (
	"fmt"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Network is one version of a pharmacy network: its type and pricing
// terms, in force from Effective to Termination (both optional). A network
// ID may have several versions, which go through Draft → Active → Inactive
// with maker-checker and hand over by date like plan versions (DOMAIN.md
// §3). A network without version or status in a bundle is version 1,
// Active, in force on every date: what a network always meant.
type Network struct {
	domain.Network `yaml:",inline"`
	Dated          `yaml:",inline"`
	// Audit is this environment's history of the version, as for edits.
	Audit edits.Audit `json:"audit,omitzero"`
}

// Ref names one version of a network.
func (n *Network) Ref() string { return fmt.Sprintf("network %s v%d", n.ID, n.Version) }

func (n *Network) key() string         { return n.ID }
func (n *Network) dated() *Dated       { return &n.Dated }
func (n *Network) audit() *edits.Audit { return &n.Audit }

// Validate checks one network version and reports every problem (as
// domain.Problems).
func (n *Network) Validate() error {
	var ps domain.Problems
	ps.Add("", n.Network.Validate())
	n.Dated.validate(&ps)
	return ps.Err()
}

// NetworkVersions returns the versions of network id, by version.
func (c *Config) NetworkVersions(id string) []Network { return versionsOf(c.Networks, id) }

// CreateNetworkDraft adds n as a Draft: version 1 of a new network or the
// next version of an existing one. A network has at most one Draft at a
// time.
func (c *Config) CreateNetworkDraft(n Network, user string, now time.Time) (Network, error) {
	if err := checkNetworkDraft(&n); err != nil {
		return Network{}, err
	}
	return createDraft(&c.Networks, "network", n, user, now)
}

// UpdateNetworkDraft replaces the content of a Draft version (n.ID and
// n.Version name it); its creator stays.
func (c *Config) UpdateNetworkDraft(n Network, user string, now time.Time) (Network, error) {
	if err := checkNetworkDraft(&n); err != nil {
		return Network{}, err
	}
	return updateDraft(&c.Networks, "network", n, user, now)
}

// ActivateNetwork makes a Draft version Active, maker-checker applying
// unless the PBM settings allow self-activation; overlapping Active
// versions are refused (versions.go, activate).
func (c *Config) ActivateNetwork(id string, version int, user string, now time.Time) (Network, error) {
	return activate(&c.Networks, "network", id, version, user, now, c.PBM().AllowSelfActivation)
}

// InactivateNetwork retires a Draft or Active version for good. Past
// claims keep their answers; later claims of its dates find no version in
// force, unless an earlier one still is, and then fall to the pharmacy's
// next usable network.
func (c *Config) InactivateNetwork(id string, version int, user string, now time.Time) (Network, error) {
	return inactivate(&c.Networks, "network", id, version, user, now)
}

// CheckNetworkVersions reports overlapping Active versions of one network
// and versions that appear twice.
func (c *Config) CheckNetworkVersions() error { return checkVersions(c.Networks, "networks") }

// checkNetworkDraft refuses a draft without an ID (its terms are checked
// when the configuration compiles, like every record's).
func checkNetworkDraft(n *Network) error {
	if !edits.ValidID(n.ID) {
		return invalidRecord(fmt.Sprintf("network %s: id must be 1 to 64 letters, digits, '-', '_' or '.'", domain.Quote(n.ID)))
	}
	return nil
}

// ImportNetworks puts the network versions of src into c as an import
// does (importVersions) and returns how many changed.
func (c *Config) ImportNetworks(src []Network, maker, checker string, now time.Time) (int, error) {
	return importVersions(&c.Networks, src, maker, checker, now)
}

// SyncNetworks applies the loader's network file: networks without
// versions, as syncUndated says.
func (c *Config) SyncNetworks(ns []domain.Network) error {
	in := make([]Network, len(ns))
	for i, n := range ns {
		in[i].Network = n
	}
	return syncUndated(&c.Networks, in, "network", "its terms", "adjctl networks")
}
