package config

import (
	"fmt"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// maxYAMLDepth bounds how deeply a bundle nests, checked on the YAML
// library's tokens before it parses: goccy/go-yaml v1.19.2's parser takes
// time quadratic in the depth (about a second at 8,000 levels, a 16 KB
// input). A real bundle nests under ten levels. (loader/parse checks its
// profiles the same way; neither package may import the other.)
const maxYAMLDepth = 64

// maxDecoderBytes bounds a bundle the YAML decoder decodes, one the fast
// path (plain YAML or JSON) cannot read: the decoder takes time quadratic
// in the document (each value with a text form costs a pass over every
// token: 5 s for 47 KB of families).
const maxDecoderBytes = 16 << 10

// checkDepth refuses a document nested deeper than maxYAMLDepth.
func checkDepth(data []byte) error {
	var d depth
	for _, tk := range lexer.Tokenize(string(data)) {
		if d.add(tk) > maxYAMLDepth {
			return &SyntaxError{Line: tk.Position.Line, Column: tk.Position.Column,
				Msg: fmt.Sprintf("nested more than %d levels deep", maxYAMLDepth)}
		}
	}
	return nil
}

// depth follows a document's nesting through its tokens: the open flow
// collections ([ and {), and the block levels, by column: a token first on
// its line, or a sequence entry or explicit key anywhere, opens a level at
// its column and closes those at or right of it. It counts at least half
// the levels the parser builds (a block mapping inside a sequence entry
// shares its level), so it bounds the parser's depth.
type depth struct {
	flow int
	cols []int // the open block levels' columns
	line int   // the line of the last token
}

// add takes the next token and returns the depth there.
func (d *depth) add(tk *token.Token) int {
	switch tk.Type {
	case token.CommentType, token.SpaceType:
		return d.flow + len(d.cols)
	case token.DocumentHeaderType, token.DocumentEndType:
		d.flow, d.cols = 0, d.cols[:0]
	case token.SequenceStartType, token.MappingStartType:
		d.flow++
	case token.SequenceEndType, token.MappingEndType:
		d.flow = max(d.flow-1, 0)
	}
	first := tk.Position.Line != d.line
	d.line = tk.Position.Line
	if d.flow == 0 && (first || tk.Type == token.SequenceEntryType || tk.Type == token.MappingKeyType) {
		col := tk.Position.Column
		for len(d.cols) > 0 && d.cols[len(d.cols)-1] >= col {
			d.cols = d.cols[:len(d.cols)-1]
		}
		d.cols = append(d.cols, col)
	}
	return d.flow + len(d.cols)
}
