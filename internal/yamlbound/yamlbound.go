// Package yamlbound checks a YAML document against bounds on its nesting
// and aliases, on the YAML library's tokens, before the library parses it.
// goccy/go-yaml v1.19.2's parser takes time quadratic in how deeply a
// document nests (about a second at 8,000 levels, a 16 KB input), and its
// decoder decodes an alias's anchor again at each alias. Real bundles and
// profiles nest under ten levels, so a bound far above that costs nothing
// and keeps the worst input to milliseconds. config (bundles) and
// loader/parse (profiles) both use it; neither may import the other.
package yamlbound

import (
	"fmt"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// Limits are the bounds; a zero bound is not checked.
type Limits struct {
	Depth   int // nesting levels
	Aliases int // aliases (*name) in the document
}

// Error locates the first token past a bound.
type Error struct {
	Line, Column int
	Msg          string // e.g. "nested more than 64 levels deep"
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Check returns the first place data goes past l, or nil.
func Check(data []byte, l Limits) *Error {
	aliases := 0
	var d depth
	for _, tk := range lexer.Tokenize(string(data)) {
		if tk.Type == token.AliasType && l.Aliases > 0 {
			if aliases++; aliases > l.Aliases {
				return &Error{Line: tk.Position.Line, Column: tk.Position.Column, Msg: fmt.Sprintf("more than %d aliases", l.Aliases)}
			}
		}
		if d.add(tk) > l.Depth && l.Depth > 0 {
			return &Error{Line: tk.Position.Line, Column: tk.Position.Column, Msg: fmt.Sprintf("nested more than %d levels deep", l.Depth)}
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
