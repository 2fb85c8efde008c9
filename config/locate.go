package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// locate finds where a plain document that encoding/json refused (err)
// fails, for an error with a line and column: the unknown key, or the
// innermost value that fails to decode on its own. Each level re-encodes
// the failing value, so it costs the document's size times its depth
// (bounded by maxYAMLDepth), never a pass per value.
func (w *jsonWriter) locate(node ast.Node, t reflect.Type, err error) *SyntaxError {
	if se := w.failing(node, t); se != nil {
		return se
	}
	return &SyntaxError{Msg: strings.TrimPrefix(err.Error(), "json: "), Err: err}
}

// failing returns where node, decoded as a t, fails, or nil when it
// decodes (or cannot be written as JSON).
func (w *jsonWriter) failing(node ast.Node, t reflect.Type) *SyntaxError {
	node = w.resolve(node)
	if node == nil {
		return nil
	}
	j, err := w.node(node)
	if err != nil {
		return nil
	}
	derr := decodeStrict(j, t)
	if derr == nil {
		return nil
	}
	for _, c := range children(node, t) {
		if c.t == nil {
			return at(c.key.GetToken(), fmt.Sprintf("unknown field %q", keyName(c.key)), derr)
		}
		if se := w.failing(c.value, c.t); se != nil {
			return se
		}
	}
	return at(node.GetToken(), strings.TrimPrefix(derr.Error(), "json: "), derr)
}

// resolve returns the value under tags, anchors and aliases.
func (w *jsonWriter) resolve(node ast.Node) ast.Node {
	for range 64 {
		switch n := node.(type) {
		case *ast.TagNode:
			node = n.Value
		case *ast.AnchorNode:
			node = n.Value
		case *ast.AliasNode:
			node = w.anchors[n.Value.GetToken().Value]
		default:
			return node
		}
	}
	return nil
}

func decodeStrict(j []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(reflect.New(t).Interface())
}

// child is a value under a node, with the type it decodes as; t is nil for
// a key the struct does not have.
type child struct {
	key   ast.MapKeyNode
	value ast.Node
	t     reflect.Type
}

// children returns the values under node as a t decodes them: a struct's
// fields, a slice's elements, a map's values; none for a value with its
// own text or JSON form.
func children(node ast.Node, t reflect.Type) []child {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if pt := reflect.PointerTo(t); pt.Implements(textUnmarshaler) || pt.Implements(jsonUnmarshaler) {
		return nil
	}
	var out []child
	switch t.Kind() {
	case reflect.Struct:
		for _, mv := range mappingValues(node) {
			ft, _ := fieldType(t, keyName(mv.Key))
			out = append(out, child{key: mv.Key, value: mv.Value, t: ft})
		}
	case reflect.Map:
		for _, mv := range mappingValues(node) {
			out = append(out, child{key: mv.Key, value: mv.Value, t: t.Elem()})
		}
	case reflect.Slice, reflect.Array:
		if seq, ok := node.(*ast.SequenceNode); ok {
			for _, v := range seq.Values {
				out = append(out, child{value: v, t: t.Elem()})
			}
		}
	}
	return out
}
