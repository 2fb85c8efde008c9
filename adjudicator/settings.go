package adjudicator

import (
	"context"

	"github.com/rxclaims/rxclaims/config"
)

// Settings versions (DOMAIN.md §3): the PBM's, each client's and each
// group's settings change by dated versions with the lifecycle of plan
// versions. Each change is a configuration version written with its audit
// entry; claims already adjudicated keep the version they recorded, so
// replay is unchanged. A version is named by its level (config.LevelPBM,
// LevelClient, LevelGroup) and ID (config.PBMID, or empty, for the PBM).

// CreateSettingsDraft stores a new Draft version from v.JSON (a PBM
// settings, client or group version as v.Level says): version 1 of a new
// record or the next version of an existing one. Its maker is
// audit.Subject.
func (e *Engine) CreateSettingsDraft(ctx context.Context, v config.SettingsVersion, audit *AuditEntry) (config.SettingsVersion, error) {
	return e.settingsChange(ctx, audit, func(c *config.Config) (config.SettingsVersion, error) {
		return c.CreateSettingsDraft(v.Level, v.JSON, audit.subject(), e.now())
	})
}

// UpdateSettingsDraft replaces the content of the Draft version v.JSON
// names (its id and version).
func (e *Engine) UpdateSettingsDraft(ctx context.Context, v config.SettingsVersion, audit *AuditEntry) (config.SettingsVersion, error) {
	return e.settingsChange(ctx, audit, func(c *config.Config) (config.SettingsVersion, error) {
		return c.UpdateSettingsDraft(v.Level, v.JSON, audit.subject(), e.now())
	})
}

// ActivateSettings makes a Draft version Active: claims of its dates take
// its settings at once. The checker is audit.Subject; maker-checker
// applies unless the PBM settings allow self-activation.
func (e *Engine) ActivateSettings(ctx context.Context, level config.Level, id string, version int, audit *AuditEntry) (config.SettingsVersion, error) {
	return e.settingsChange(ctx, audit, func(c *config.Config) (config.SettingsVersion, error) {
		v, err := c.ActivateSettings(level, id, version, audit.subject(), e.now())
		if v.Audit.SelfActivated {
			audit.Detail = "self-activation (settings.allow_self_activation)"
		}
		return v, err
	})
}

// InactivateSettings retires a version for good.
func (e *Engine) InactivateSettings(ctx context.Context, level config.Level, id string, version int, audit *AuditEntry) (config.SettingsVersion, error) {
	return e.settingsChange(ctx, audit, func(c *config.Config) (config.SettingsVersion, error) {
		return c.InactivateSettings(level, id, version, audit.subject(), e.now())
	})
}

// SettingsVersions returns every version of one level's record.
func (e *Engine) SettingsVersions(level config.Level, id string) ([]config.SettingsVersion, error) {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	// SettingsVersionsOf copies each version into JSON: the caller may
	// change what it gets.
	return e.cfg.SettingsVersionsOf(level, id)
}

// settingsChange applies one lifecycle step to the hierarchy's settings
// and names the version it touched in audit.
func (e *Engine) settingsChange(ctx context.Context, audit *AuditEntry, fn func(*config.Config) (config.SettingsVersion, error)) (config.SettingsVersion, error) {
	return versionChange(ctx, e, audit, fn, func(v config.SettingsVersion) string { return SettingsVersionObject(v.Level, v.ID, v.Version) })
}
