package wire

import (
	"encoding/json"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"sigs.k8s.io/yaml"
)

// NetworkFromJSON reads one network version in the configuration bundle's
// network format (JSON, or YAML, which is read the same way). Unknown
// fields are errors.
func NetworkFromJSON(data []byte) (config.Network, error) {
	var n config.Network
	if err := yaml.UnmarshalStrict(data, &n); err != nil {
		return config.Network{}, fmt.Errorf("network_json: %w", err)
	}
	return n, nil
}

// NetworkToProto carries a network version as its JSON document plus a
// summary.
func NetworkToProto(n config.Network) (*pb.NetworkVersion, error) {
	doc, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	a := n.Audit
	return &pb.NetworkVersion{
		NetworkJson: string(doc), Id: n.ID, Version: int32(n.Version), Status: string(n.Status), Type: n.Type.String(),
		Effective: n.Effective.String(), Termination: n.Termination.String(),
		CreatedBy: a.CreatedBy, CreatedAt: timestamp(a.CreatedAt), UpdatedBy: a.UpdatedBy, UpdatedAt: timestamp(a.UpdatedAt),
		ActivatedBy: a.ActivatedBy, ActivatedAt: timestamp(a.ActivatedAt), SelfActivated: a.SelfActivated,
		InactivatedBy: a.InactivatedBy, InactivatedAt: timestamp(a.InactivatedAt),
		ImportedBy: a.ImportedBy, ImportedAt: timestamp(a.ImportedAt),
	}, nil
}

// NetworkFromProto reads the network version a message carries.
func NetworkFromProto(n *pb.NetworkVersion) (config.Network, error) {
	return NetworkFromJSON([]byte(n.GetNetworkJson()))
}
