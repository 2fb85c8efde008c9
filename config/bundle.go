package config

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// decodeOptions make decoding strict (an unknown field is an error) and
// let the types with a text or JSON form (dates, amounts, enumerations)
// decode through it.
var decodeOptions = []yaml.DecodeOption{yaml.Strict(), yaml.UseJSONUnmarshaler()}

// Parse reads a configuration bundle in YAML or JSON (JSON is YAML). Unknown
// fields are errors, so a misspelt setting is never silently ignored, and
// an error names the line and column it is about (a *SyntaxError). Parse
// checks only the form; adjudicator.Validate checks the content as the
// engine compiles it.
//
// A JSON bundle, and a YAML one of plain mappings, sequences, scalars,
// anchors and aliases turned into JSON (jsonWriter), decode with
// encoding/json; an error is then located on the document (locate). The
// YAML decoder takes time quadratic in a document's values that decode as
// text (dates, amounts), so it decodes only small documents the fast path
// cannot read (maxDecoderBytes); and no document nested deeper than
// maxYAMLDepth reaches the YAML parser, whose time is quadratic in depth.
func Parse(data []byte) (cfg *Config, err error) {
	// goccy/go-yaml v1.19.2 dereferences nil on some malformed input; that
	// is the input's fault, so it is an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, fmt.Errorf("configuration bundle: malformed YAML: %v", r)
		}
	}()
	cfg, err = parse(data)
	if err != nil {
		return nil, fmt.Errorf("configuration bundle: %w", err)
	}
	return cfg, nil
}

func parse(data []byte) (*Config, error) {
	if isJSON(data) {
		if cfg, err := parseJSON(data); err == nil {
			return cfg, nil
		}
	}
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, positioned(data, reflect.TypeFor[Config](), err)
	}
	if len(file.Docs) == 1 {
		w := newJSONWriter(len(data))
		j, err := w.document(file.Docs[0].Body)
		if errors.Is(err, errExpands) {
			return nil, expandsError(len(data))
		}
		if err == nil {
			cfg, err := parseJSON(j)
			if err != nil {
				return nil, w.locate(file.Docs[0].Body, reflect.TypeFor[Config](), err)
			}
			return cfg, nil
		}
	}
	if len(data) > maxDecoderBytes {
		return nil, fmt.Errorf("the bundle uses YAML that only bundles up to %d bytes may use (tags, merge keys, "+
			"keys that are not strings, several documents, an anchor defined twice): write it as plain YAML or JSON", maxDecoderBytes)
	}
	cfg := new(Config)
	if err := yaml.UnmarshalWithOptions(data, cfg, decodeOptions...); err != nil {
		return nil, positioned(data, reflect.TypeFor[Config](), err)
	}
	return cfg, nil
}

// isJSON reports whether data starts, after white space, with a JSON object.
func isJSON(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// parseJSON decodes a JSON bundle strictly: unknown fields and anything
// after the object are errors.
func parseJSON(data []byte) (*Config, error) {
	cfg := new(Config)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the bundle")
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

// SyntaxError is a bundle that does not decode: a YAML syntax error, an
// unknown field, or a value of the wrong type or form, at a line and column
// (1-based; 0 when not known).
type SyntaxError struct {
	Line, Column int
	Msg          string
	Err          error // the decoder's error
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// positioned turns a decoding error into a *SyntaxError. The YAML decoder
// gives the position of syntax, unknown-field and type errors; an error of
// a value's own UnmarshalText or UnmarshalJSON comes without one, so
// positioned finds the value that fails by decoding the document's values
// one by one against the types of t.
func positioned(data []byte, t reflect.Type, err error) *SyntaxError {
	var yerr yaml.Error
	if errors.As(err, &yerr) && yerr.GetToken() != nil {
		return at(yerr.GetToken(), yerr.GetMessage(), err)
	}
	if file, perr := parser.ParseBytes(data, 0); perr == nil {
		for _, doc := range file.Docs {
			if tk := failing(doc.Body, t); tk != nil {
				return at(tk, err.Error(), err)
			}
		}
	}
	return &SyntaxError{Msg: err.Error(), Err: err}
}

func at(tk *token.Token, msg string, err error) *SyntaxError {
	return &SyntaxError{Line: tk.Position.Line, Column: tk.Position.Column, Msg: msg, Err: err}
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// failing returns the token of the first value under node, decoded as a t,
// whose own unmarshaler fails, or nil.
func failing(node ast.Node, t reflect.Type) *token.Token {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	node = unwrap(node)
	if node == nil {
		return nil
	}
	if pt := reflect.PointerTo(t); pt.Implements(textUnmarshaler) || pt.Implements(jsonUnmarshaler) {
		if err := yaml.NodeToValue(node, reflect.New(t).Interface(), decodeOptions...); err != nil {
			return node.GetToken()
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return failingField(node, t)
	case reflect.Slice, reflect.Array:
		if seq, ok := node.(*ast.SequenceNode); ok {
			for _, v := range seq.Values {
				if tk := failing(v, t.Elem()); tk != nil {
					return tk
				}
			}
		}
	case reflect.Map:
		for _, mv := range mappingValues(node) {
			if tk := failing(mv.Value, t.Elem()); tk != nil {
				return tk
			}
		}
	}
	return nil
}

// failingField is failing for the fields of a struct.
func failingField(node ast.Node, t reflect.Type) *token.Token {
	for _, mv := range mappingValues(node) {
		if ft, ok := fieldType(t, keyName(mv.Key)); ok {
			if tk := failing(mv.Value, ft); tk != nil {
				return tk
			}
		}
	}
	return nil
}

// fieldType returns the type of the field of struct t named name in the
// bundle (its JSON name), looking into embedded structs.
func fieldType(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			if ft, ok := fieldType(f.Type, name); ok {
				return ft, true
			}
		case tag == name || (tag == "" && strings.EqualFold(f.Name, name)):
			return f.Type, true
		}
	}
	return nil, false
}

// unwrap returns the value under tags and anchors.
func unwrap(node ast.Node) ast.Node {
	for {
		switch n := node.(type) {
		case *ast.TagNode:
			node = n.Value
		case *ast.AnchorNode:
			node = n.Value
		default:
			return node
		}
	}
}

func mappingValues(node ast.Node) []*ast.MappingValueNode {
	switch n := node.(type) {
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	}
	return nil
}

func keyName(key ast.MapKeyNode) string {
	if s, ok := key.(*ast.StringNode); ok {
		return s.Value
	}
	return key.GetToken().Value
}
