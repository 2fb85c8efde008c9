package wire

import (
	"encoding/json"
	"fmt"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/edits"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"sigs.k8s.io/yaml"
)

// SettingsFromJSON reads one settings version of level in the
// configuration bundle's format (JSON, or YAML, which is read the same
// way): the PBM settings, or one entry of its clients or groups. Unknown
// fields are errors (the engine decodes the document strictly).
func SettingsFromJSON(level string, data []byte) (config.SettingsVersion, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return config.SettingsVersion{}, fmt.Errorf("settings_json: %w", err)
	}
	// The ID and version the document names, for the request's audit
	// entry; the engine reads the whole document strictly.
	var named struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	_ = json.Unmarshal(j, &named) // a malformed document is refused by the engine
	if config.Level(level) == config.LevelPBM && named.ID == "" {
		named.ID = config.PBMID
	}
	v := config.SettingsVersion{Level: config.Level(level), ID: named.ID, JSON: j}
	v.Version = named.Version
	return v, nil
}

// SettingsToProto carries a settings version as its JSON document plus a
// summary.
func SettingsToProto(v config.SettingsVersion) (*pb.SettingsVersion, error) {
	a := v.Audit
	return &pb.SettingsVersion{
		SettingsJson: string(v.JSON), Level: string(v.Level), Id: v.ID, Version: int32(v.Version), Status: string(v.Status),
		Effective: v.Effective.String(), Termination: v.Termination.String(),
		CreatedBy: a.CreatedBy, CreatedAt: timestamp(a.CreatedAt), UpdatedBy: a.UpdatedBy, UpdatedAt: timestamp(a.UpdatedAt),
		ActivatedBy: a.ActivatedBy, ActivatedAt: timestamp(a.ActivatedAt), SelfActivated: a.SelfActivated,
		InactivatedBy: a.InactivatedBy, InactivatedAt: timestamp(a.InactivatedAt),
		ImportedBy: a.ImportedBy, ImportedAt: timestamp(a.ImportedAt),
	}, nil
}

// SettingsFromProto reads the settings version a message carries: its
// level and ID, and its number, status, dates and audit from its document.
func SettingsFromProto(p *pb.SettingsVersion) (config.SettingsVersion, error) {
	var doc struct {
		config.Dated
		Audit edits.Audit `json:"audit"`
	}
	if err := json.Unmarshal([]byte(p.GetSettingsJson()), &doc); err != nil {
		return config.SettingsVersion{}, fmt.Errorf("settings_json: %w", err)
	}
	return config.SettingsVersion{Level: config.Level(p.GetLevel()), ID: p.GetId(), Dated: doc.Dated, Audit: doc.Audit,
		JSON: []byte(p.GetSettingsJson())}, nil
}
