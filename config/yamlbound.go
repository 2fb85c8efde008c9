package config

import "github.com/rxclaims/rxclaims/internal/yamlbound"

// maxYAMLDepth bounds how deeply a bundle nests, checked before the YAML
// library parses it (internal/yamlbound: its parser's time is quadratic in
// the depth). A real bundle nests under ten levels.
const maxYAMLDepth = 64

// maxDecoderBytes bounds a bundle the YAML decoder decodes, one the fast
// path (plain YAML or JSON) cannot read: the decoder takes time quadratic
// in the document (each value with a text form costs a pass over every
// token: 5 s for 47 KB of families).
const maxDecoderBytes = 16 << 10

// checkDepth refuses a document nested deeper than maxYAMLDepth.
func checkDepth(data []byte) error {
	if e := yamlbound.Check(data, yamlbound.Limits{Depth: maxYAMLDepth}); e != nil {
		return &SyntaxError{Line: e.Line, Column: e.Column, Msg: e.Msg}
	}
	return nil
}
