package wire

import (
	"encoding/json"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"sigs.k8s.io/yaml"
)

// ScheduleFromJSON reads one schedule version in the configuration
// bundle's schedule format (JSON, or YAML, which is read the same way).
// Unknown fields are errors.
func ScheduleFromJSON(data []byte) (config.Schedule, error) {
	var s config.Schedule
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return config.Schedule{}, fmt.Errorf("schedule_json: %w", err)
	}
	return s, nil
}

// ScheduleToProto carries a schedule version as its JSON document plus a
// summary.
func ScheduleToProto(s config.Schedule) (*pb.ScheduleVersion, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	a := s.Audit
	return &pb.ScheduleVersion{
		ScheduleJson: string(doc), Id: s.ID, Version: int32(s.Version), Status: string(s.Status), Kind: string(s.Kind),
		Effective: s.Effective.String(), Termination: s.Termination.String(), Lines: int32(len(s.Lines)),
		CreatedBy: a.CreatedBy, CreatedAt: timestamp(a.CreatedAt), UpdatedBy: a.UpdatedBy, UpdatedAt: timestamp(a.UpdatedAt),
		ActivatedBy: a.ActivatedBy, ActivatedAt: timestamp(a.ActivatedAt), SelfActivated: a.SelfActivated,
		InactivatedBy: a.InactivatedBy, InactivatedAt: timestamp(a.InactivatedAt),
		ImportedBy: a.ImportedBy, ImportedAt: timestamp(a.ImportedAt),
	}, nil
}

// ScheduleFromProto reads the schedule version a message carries.
func ScheduleFromProto(s *pb.ScheduleVersion) (config.Schedule, error) {
	return ScheduleFromJSON([]byte(s.GetScheduleJson()))
}
