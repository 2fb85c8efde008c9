package client

import (
	"context"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
)

// CreateSettingsDraft stores the settings version v.JSON holds (JSON or
// YAML) at v.Level as a new Draft and returns it as stored.
func (c *Admin) CreateSettingsDraft(ctx context.Context, v config.SettingsVersion) (config.SettingsVersion, error) {
	r, err := c.c.CreateSettingsDraft(c.ctx(ctx), &pb.CreateSettingsDraftRequest{Level: string(v.Level), SettingsJson: string(v.JSON)})
	if err != nil {
		return config.SettingsVersion{}, err
	}
	return wire.SettingsFromProto(r.GetSettings())
}

// UpdateSettingsDraft replaces a Draft settings version's content.
func (c *Admin) UpdateSettingsDraft(ctx context.Context, v config.SettingsVersion) (config.SettingsVersion, error) {
	r, err := c.c.UpdateSettingsDraft(c.ctx(ctx), &pb.UpdateSettingsDraftRequest{Level: string(v.Level), SettingsJson: string(v.JSON)})
	if err != nil {
		return config.SettingsVersion{}, err
	}
	return wire.SettingsFromProto(r.GetSettings())
}

// ActivateSettings makes a Draft settings version Active (id empty for
// the PBM).
func (c *Admin) ActivateSettings(ctx context.Context, level config.Level, id string, version int) (config.SettingsVersion, error) {
	r, err := c.c.ActivateSettings(c.ctx(ctx), &pb.ActivateSettingsRequest{Level: string(level), Id: id, Version: int32(version)})
	if err != nil {
		return config.SettingsVersion{}, err
	}
	return wire.SettingsFromProto(r.GetSettings())
}

// InactivateSettings retires a settings version.
func (c *Admin) InactivateSettings(ctx context.Context, level config.Level, id string, version int) (config.SettingsVersion, error) {
	r, err := c.c.InactivateSettings(c.ctx(ctx), &pb.InactivateSettingsRequest{Level: string(level), Id: id, Version: int32(version)})
	if err != nil {
		return config.SettingsVersion{}, err
	}
	return wire.SettingsFromProto(r.GetSettings())
}

// SettingsVersions returns every version of one level's settings.
func (c *Admin) SettingsVersions(ctx context.Context, level config.Level, id string) ([]config.SettingsVersion, error) {
	r, err := c.c.GetSettings(c.ctx(ctx), &pb.GetSettingsRequest{Level: string(level), Id: id})
	if err != nil {
		return nil, err
	}
	out := make([]config.SettingsVersion, 0, len(r.GetVersions()))
	for _, p := range r.GetVersions() {
		v, err := wire.SettingsFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
