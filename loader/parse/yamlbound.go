package parse

import (
	"fmt"

	"github.com/rxclaims/rxclaims/internal/yamlbound"
)

// Bounds on a profiles document, checked before the YAML library parses it
// (internal/yamlbound says why). goccy/go-yaml v1.19.2 also takes about 3 s
// to lex a megabyte of the worst input and 3.5 s to decode a megabyte of
// profiles. A real profiles file nests about six levels and needs no alias
// (a group's parent gives it the parent's settings); with these bounds the
// worst input takes seconds, not hours, and a fuzzer's small inputs
// milliseconds.
const (
	maxProfilesBytes = 1 << 20
	maxYAMLDepth     = 64
	maxYAMLAliases   = 64
)

// checkYAMLBounds refuses a document larger, deeper or with more aliases
// than the bounds.
func checkYAMLBounds(b []byte) error {
	if len(b) > maxProfilesBytes {
		return fmt.Errorf("the document is %d bytes, more than the %d a profiles file may have", len(b), maxProfilesBytes)
	}
	if e := yamlbound.Check(b, yamlbound.Limits{Depth: maxYAMLDepth, Aliases: maxYAMLAliases}); e != nil {
		return e
	}
	return nil
}
