package client

import (
	"context"
	"encoding/json"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// CreateNetworkDraft stores n as a new Draft network version and returns it as stored.
func (c *Admin) CreateNetworkDraft(ctx context.Context, n config.Network) (config.Network, error) {
	doc, err := json.Marshal(n)
	if err != nil {
		return config.Network{}, err
	}
	r, err := c.c.CreateNetworkDraft(c.ctx(ctx), &pb.CreateNetworkDraftRequest{NetworkJson: string(doc)})
	if err != nil {
		return config.Network{}, err
	}
	return wire.NetworkFromProto(r.GetNetwork())
}

// UpdateNetworkDraft replaces a Draft network version's content.
func (c *Admin) UpdateNetworkDraft(ctx context.Context, n config.Network) (config.Network, error) {
	doc, err := json.Marshal(n)
	if err != nil {
		return config.Network{}, err
	}
	r, err := c.c.UpdateNetworkDraft(c.ctx(ctx), &pb.UpdateNetworkDraftRequest{NetworkJson: string(doc)})
	if err != nil {
		return config.Network{}, err
	}
	return wire.NetworkFromProto(r.GetNetwork())
}

// ActivateNetwork makes a Draft network version Active.
func (c *Admin) ActivateNetwork(ctx context.Context, id string, version int) (config.Network, error) {
	r, err := c.c.ActivateNetwork(c.ctx(ctx), &pb.ActivateNetworkRequest{Id: id, Version: int32(version)})
	if err != nil {
		return config.Network{}, err
	}
	return wire.NetworkFromProto(r.GetNetwork())
}

// InactivateNetwork retires a network version.
func (c *Admin) InactivateNetwork(ctx context.Context, id string, version int) (config.Network, error) {
	r, err := c.c.InactivateNetwork(c.ctx(ctx), &pb.InactivateNetworkRequest{Id: id, Version: int32(version)})
	if err != nil {
		return config.Network{}, err
	}
	return wire.NetworkFromProto(r.GetNetwork())
}

// NetworkVersions returns every version of one network.
func (c *Admin) NetworkVersions(ctx context.Context, id string) ([]config.Network, error) {
	r, err := c.c.GetNetwork(c.ctx(ctx), &pb.GetNetworkRequest{Id: id})
	if err != nil {
		return nil, err
	}
	out := make([]config.Network, 0, len(r.GetVersions()))
	for _, v := range r.GetVersions() {
		n, err := wire.NetworkFromProto(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
