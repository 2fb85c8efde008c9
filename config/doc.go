// Package config is the configuration bundle: the hierarchy (PBM, clients,
// groups) with its settings, plans with their networks, formulary and
// exclusions, the catalog, schedules, every edit version and families, and
// the bundle's file form (YAML or JSON).
//
// It checks the form and the records on their own; adjudicator.Validate
// checks a bundle as the engine compiles it.
package config
