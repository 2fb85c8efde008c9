package loader

import (
	"os"

	"github.com/rxclaims/rxclaims/loader/parse"
)

// LoadProfiles reads a YAML or JSON profiles file.
func LoadProfiles(path string) (*parse.Profiles, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse.ParseProfiles(b)
}
