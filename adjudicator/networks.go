package adjudicator

import (
	"context"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
)

// Network versions (DOMAIN.md §3): a network's type and pricing terms
// change by dated versions with the lifecycle of plan versions. Each change
// is a configuration version written with its audit entry; claims already
// adjudicated keep the version they recorded, so replay is unchanged.

// CreateNetworkDraft stores a new Draft network version: version 1 of a
// new network or the next version of an existing one. Its maker is
// audit.Subject.
func (e *Engine) CreateNetworkDraft(ctx context.Context, n config.Network, audit *AuditEntry) (config.Network, error) {
	return e.networkChange(ctx, audit, func(c *config.Config) (config.Network, error) {
		return c.CreateNetworkDraft(n, audit.subject(), e.now())
	})
}

// UpdateNetworkDraft replaces the content of a Draft network version.
func (e *Engine) UpdateNetworkDraft(ctx context.Context, n config.Network, audit *AuditEntry) (config.Network, error) {
	return e.networkChange(ctx, audit, func(c *config.Config) (config.Network, error) {
		return c.UpdateNetworkDraft(n, audit.subject(), e.now())
	})
}

// ActivateNetwork makes a Draft network version Active: claims of its
// dates are priced with it at once. The checker is audit.Subject;
// maker-checker applies unless the PBM settings allow self-activation.
func (e *Engine) ActivateNetwork(ctx context.Context, id string, version int, audit *AuditEntry) (config.Network, error) {
	return e.networkChange(ctx, audit, func(c *config.Config) (config.Network, error) {
		n, err := c.ActivateNetwork(id, version, audit.subject(), e.now())
		if n.Audit.SelfActivated {
			audit.Detail = "self-activation (settings.allow_self_activation)"
		}
		return n, err
	})
}

// InactivateNetwork retires a network version for good.
func (e *Engine) InactivateNetwork(ctx context.Context, id string, version int, audit *AuditEntry) (config.Network, error) {
	return e.networkChange(ctx, audit, func(c *config.Config) (config.Network, error) {
		return c.InactivateNetwork(id, version, audit.subject(), e.now())
	})
}

// NetworkVersions returns every version of network id.
func (e *Engine) NetworkVersions(id string) ([]config.Network, error) {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	vs := e.cfg.NetworkVersions(id)
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: network %s", edits.ErrNotFound, id)
	}
	// A deep copy: the caller may change what it gets.
	cp, err := snapshotCopy(&config.Config{Networks: vs})
	if err != nil {
		return nil, err
	}
	return cp.Networks, nil
}

// networkChange applies one lifecycle step to the configuration's networks
// and names the version it touched in audit.
func (e *Engine) networkChange(ctx context.Context, audit *AuditEntry, fn func(*config.Config) (config.Network, error)) (config.Network, error) {
	return versionChange(ctx, e, audit, fn, func(n config.Network) string { return NetworkObject(n.ID, n.Version) })
}
