package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// errNotPlain is a document yamlToJSON leaves to the YAML decoder.
var errNotPlain = errors.New("not plain YAML")

// jsonWriter turns a YAML document of mappings, sequences, plain scalars,
// anchors and aliases into JSON, the fast way to decode a large YAML
// bundle: quoted and non-numeric scalars become strings, numbers stay
// numbers, an alias is its anchor's value again. Anything else (tags,
// merge keys, non-string keys, an anchor defined twice, numbers JSON does
// not write) is errNotPlain; Parse then decodes with the YAML decoder,
// which also decides every value encoding/json would refuse. The JSON may
// not grow past limit bytes, so aliases cannot blow a document up.
type jsonWriter struct {
	b       bytes.Buffer
	anchors map[string]ast.Node
	known   bool // the document is written: its anchors are known
	limit   int
}

// errExpands is a document whose aliases expand it past the writer's limit.
var errExpands = errors.New("its aliases expand it more than eightfold")

func newJSONWriter(size int) *jsonWriter {
	return &jsonWriter{anchors: map[string]ast.Node{}, limit: 8*size + 64<<10}
}

// document writes a whole document, registering its anchors as it goes.
func (w *jsonWriter) document(node ast.Node) ([]byte, error) {
	w.b.Reset()
	if err := w.write(node); err != nil {
		return nil, err
	}
	w.known = true
	return w.b.Bytes(), nil
}

// node writes one node of a document already written (its anchors known).
func (w *jsonWriter) node(node ast.Node) ([]byte, error) {
	var saved bytes.Buffer
	saved, w.b = w.b, bytes.Buffer{}
	defer func() { w.b = saved }()
	if err := w.write(node); err != nil {
		return nil, err
	}
	return bytes.Clone(w.b.Bytes()), nil
}

func (w *jsonWriter) write(node ast.Node) error {
	if w.b.Len() > w.limit {
		return errExpands
	}
	b := &w.b
	switch n := node.(type) {
	case nil, *ast.NullNode:
		b.WriteString("null")
	case *ast.AnchorNode:
		return w.anchor(n)
	case *ast.AliasNode:
		v, ok := w.anchors[n.Value.GetToken().Value]
		if !ok {
			return errNotPlain
		}
		return w.write(v)
	case *ast.MappingNode:
		return w.mapping(n.Values)
	case *ast.MappingValueNode:
		return w.mapping([]*ast.MappingValueNode{n})
	case *ast.SequenceNode:
		b.WriteByte('[')
		for i, v := range n.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := w.write(v); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *ast.StringNode:
		return writeString(b, n.Value)
	case *ast.LiteralNode:
		return writeString(b, n.Value.Value)
	case *ast.IntegerNode, *ast.FloatNode:
		text := n.GetToken().Value
		if !json.Valid([]byte(text)) {
			return errNotPlain
		}
		b.WriteString(text)
	case *ast.BoolNode:
		b.WriteString(map[bool]string{true: "true", false: "false"}[n.Value])
	default:
		return errNotPlain
	}
	return nil
}

func (w *jsonWriter) anchor(n *ast.AnchorNode) error {
	name := n.Name.GetToken().Value
	if _, dup := w.anchors[name]; dup && !w.known {
		return errNotPlain
	}
	w.anchors[name] = n.Value
	return w.write(n.Value)
}

func (w *jsonWriter) mapping(values []*ast.MappingValueNode) error {
	b := &w.b
	b.WriteByte('{')
	for i, mv := range values {
		key, ok := mv.Key.(*ast.StringNode)
		if !ok {
			return errNotPlain
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeString(b, key.Value); err != nil {
			return err
		}
		b.WriteByte(':')
		if err := w.write(mv.Value); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeString(b *bytes.Buffer, s string) error {
	q, err := json.Marshal(s)
	b.Write(q)
	return err
}

// expandsError is errExpands as the bundle's error.
func expandsError(size int) error {
	return fmt.Errorf("the bundle is %d bytes and %w", size, errExpands)
}
