package adjudicator

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// ParseConfig reads a configuration bundle in YAML or JSON. Unknown fields
// are errors, so a misspelt setting is never silently ignored. The bundle is
// validated as the engine would compile it.
func ParseConfig(data []byte) (*Config, error) {
	cfg := new(Config)
	if err := yaml.UnmarshalStrict(data, cfg); err != nil {
		return nil, fmt.Errorf("configuration bundle: %w", err)
	}
	if _, err := compile(cfg); err != nil {
		return nil, fmt.Errorf("configuration bundle: %w", err)
	}
	if err := cfg.ValidateFamilies(); err != nil {
		return nil, fmt.Errorf("configuration bundle: %w", err)
	}
	return cfg, nil
}

// LoadConfigFile reads and parses a configuration bundle file.
func LoadConfigFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(data)
}

// MarshalConfig writes cfg as a YAML bundle that ParseConfig reads back.
func MarshalConfig(cfg *Config) ([]byte, error) { return yaml.Marshal(cfg) }
