package config

import (
	"strings"
	"testing"
)

// FuzzParse: no input crashes the bundle parser; it returns a bundle or an
// error.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"plans: []\n",
		`{"plans": [], "networks": []}`,
		"groups:\n#000000000\n  ! 000000", // crashed goccy/go-yaml's decoder
		"families:\n- cardholder_id: A1\n  members: [{person_code: \"001\", date_of_birth: 1980-01-01}]\n",
		// once seconds each: the parser is quadratic in depth
		"plans: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		"plans:\n" + strings.Repeat("- ", 10000) + "x\n",
		"a0: &a0 [x, x]\na1: &a1 [*a0, *a0]\na2: &a2 [*a1, *a1]\nplans: [*a2, *a2]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := Parse(data); err == nil && cfg == nil {
			t.Fatal("Parse returned neither a bundle nor an error")
		}
	})
}
