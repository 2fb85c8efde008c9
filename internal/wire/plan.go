package wire

import (
	"encoding/json"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"sigs.k8s.io/yaml"
)

// PlanFromJSON reads one plan version in the configuration bundle's plan
// format (JSON, or YAML, which is read the same way). Unknown fields are
// errors.
func PlanFromJSON(data []byte) (config.Plan, error) {
	var p config.Plan
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		return config.Plan{}, fmt.Errorf("plan_json: %w", err)
	}
	return p, nil
}

// PlanToProto carries a plan version as its JSON document plus a summary.
func PlanToProto(p config.Plan) (*pb.PlanVersion, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	a := p.Audit
	return &pb.PlanVersion{
		PlanJson: string(doc), Id: p.ID, Version: int32(p.Version), Status: string(p.Status), Name: p.Name,
		Effective: p.Effective.String(), Termination: p.Termination.String(),
		CreatedBy: a.CreatedBy, CreatedAt: timestamp(a.CreatedAt), UpdatedBy: a.UpdatedBy, UpdatedAt: timestamp(a.UpdatedAt),
		ActivatedBy: a.ActivatedBy, ActivatedAt: timestamp(a.ActivatedAt), SelfActivated: a.SelfActivated,
		InactivatedBy: a.InactivatedBy, InactivatedAt: timestamp(a.InactivatedAt),
		ImportedBy: a.ImportedBy, ImportedAt: timestamp(a.ImportedAt),
	}, nil
}

// PlanFromProto reads the plan version a message carries.
func PlanFromProto(p *pb.PlanVersion) (config.Plan, error) {
	return PlanFromJSON([]byte(p.GetPlanJson()))
}
