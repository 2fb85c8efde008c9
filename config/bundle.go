package config

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Parse reads a configuration bundle in YAML or JSON. Unknown fields
// are errors, so a misspelt setting is never silently ignored. Parse checks
// only the form; adjudicator.Validate checks the content as the engine
// compiles it.
func Parse(data []byte) (*Config, error) {
	cfg := new(Config)
	if err := yaml.UnmarshalStrict(data, cfg); err != nil {
		return nil, fmt.Errorf("configuration bundle: %w", err)
	}
	return cfg, nil
}

// Load reads and parses a configuration bundle file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Marshal writes cfg as a YAML bundle that Parse reads back.
func Marshal(cfg *Config) ([]byte, error) { return yaml.Marshal(cfg) }
