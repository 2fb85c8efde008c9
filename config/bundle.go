package config

import (
	"fmt"
	"os"

	"github.com/goccy/go-yaml"
)

// Parse reads a configuration bundle in YAML or JSON (JSON is YAML). Unknown
// fields are errors, so a misspelt setting is never silently ignored; an
// error names the line and column of the value it is about. Types with a
// text or JSON form (dates, amounts, enumerations) decode through it. Parse
// checks only the form; adjudicator.Validate checks the content as the
// engine compiles it.
func Parse(data []byte) (*Config, error) {
	cfg := new(Config)
	if err := yaml.UnmarshalWithOptions(data, cfg, yaml.Strict(), yaml.UseJSONUnmarshaler()); err != nil {
		return nil, fmt.Errorf("configuration bundle: %s", yaml.FormatError(err, false, false))
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
