package server

import (
	"context"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// The settings version lifecycle's RPCs (versions.go has what they
// share): one set for the three levels, which each request names.

// settingsKind is the versionKind of one level's settings.
func settingsKind(level string) versionKind[config.SettingsVersion, *pb.SettingsVersion] {
	return versionKind[config.SettingsVersion, *pb.SettingsVersion]{
		fromJSON: func(b []byte) (config.SettingsVersion, error) { return wire.SettingsFromJSON(level, b) },
		toProto:  wire.SettingsToProto,
		object: func(v config.SettingsVersion) string {
			return adjudicator.SettingsVersionObject(v.Level, clip(v.ID), v.Version)
		},
		update: "UpdateSettingsDraft",
	}
}

// settingsID is the ID a request names: the PBM's when its level is the
// PBM and it names none.
func settingsID(level, id string) string {
	if config.Level(level) == config.LevelPBM && id == "" {
		return config.PBMID
	}
	return id
}

// CreateSettingsDraft implements AdminService.CreateSettingsDraft.
func (s *adminService) CreateSettingsDraft(ctx context.Context, req *pb.CreateSettingsDraftRequest) (*pb.CreateSettingsDraftResponse, error) {
	v, err := versionDraft(ctx, s, settingsKind(req.GetLevel()), "CreateSettingsDraft", req.GetSettingsJson(), s.engine.CreateSettingsDraft)
	if err != nil {
		return nil, err
	}
	return &pb.CreateSettingsDraftResponse{Settings: v}, nil
}

// UpdateSettingsDraft implements AdminService.UpdateSettingsDraft.
func (s *adminService) UpdateSettingsDraft(ctx context.Context, req *pb.UpdateSettingsDraftRequest) (*pb.UpdateSettingsDraftResponse, error) {
	v, err := versionDraft(ctx, s, settingsKind(req.GetLevel()), "UpdateSettingsDraft", req.GetSettingsJson(), s.engine.UpdateSettingsDraft)
	if err != nil {
		return nil, err
	}
	return &pb.UpdateSettingsDraftResponse{Settings: v}, nil
}

// ActivateSettings implements AdminService.ActivateSettings.
func (s *adminService) ActivateSettings(ctx context.Context, req *pb.ActivateSettingsRequest) (*pb.ActivateSettingsResponse, error) {
	level := config.Level(req.GetLevel())
	v, err := versionStep(ctx, s, settingsKind(req.GetLevel()), "ActivateSettings", settingsID(req.GetLevel(), req.GetId()), req.GetVersion(),
		func(ctx context.Context, id string, version int, audit *adjudicator.AuditEntry) (config.SettingsVersion, error) {
			return s.engine.ActivateSettings(ctx, level, id, version, audit)
		})
	if err != nil {
		return nil, err
	}
	return &pb.ActivateSettingsResponse{Settings: v}, nil
}

// InactivateSettings implements AdminService.InactivateSettings.
func (s *adminService) InactivateSettings(ctx context.Context, req *pb.InactivateSettingsRequest) (*pb.InactivateSettingsResponse, error) {
	level := config.Level(req.GetLevel())
	v, err := versionStep(ctx, s, settingsKind(req.GetLevel()), "InactivateSettings", settingsID(req.GetLevel(), req.GetId()), req.GetVersion(),
		func(ctx context.Context, id string, version int, audit *adjudicator.AuditEntry) (config.SettingsVersion, error) {
			return s.engine.InactivateSettings(ctx, level, id, version, audit)
		})
	if err != nil {
		return nil, err
	}
	return &pb.InactivateSettingsResponse{Settings: v}, nil
}

// GetSettings implements AdminService.GetSettings.
func (s *adminService) GetSettings(ctx context.Context, req *pb.GetSettingsRequest) (*pb.GetSettingsResponse, error) {
	vs, err := s.engine.SettingsVersions(config.Level(req.GetLevel()), req.GetId())
	out, err := versionList(ctx, s, settingsKind(req.GetLevel()), "GetSettings", vs, err)
	if err != nil {
		return nil, err
	}
	return &pb.GetSettingsResponse{Versions: out}, nil
}
