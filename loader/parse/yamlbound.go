package parse

import (
	"fmt"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// Bounds on a profiles document, checked on the YAML library's tokens
// before it parses. goccy/go-yaml v1.19.2 takes time quadratic in how
// deeply a document nests (about a second at 8,000 levels, a 16 KB input),
// about 3 s to lex a megabyte of the worst input and 3.5 s to decode a
// megabyte of profiles, and it decodes an alias's anchor again at each
// alias. A real profiles file nests about six levels and needs no alias (a
// group's parent gives it the parent's settings); with these bounds the
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
	aliases := 0
	var d depth
	for _, tk := range lexer.Tokenize(string(b)) {
		if tk.Type == token.AliasType {
			if aliases++; aliases > maxYAMLAliases {
				return fmt.Errorf("line %d: more than %d aliases", tk.Position.Line, maxYAMLAliases)
			}
		}
		if d.add(tk) > maxYAMLDepth {
			return fmt.Errorf("line %d: nested more than %d levels deep", tk.Position.Line, maxYAMLDepth)
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
