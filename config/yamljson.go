package config

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// errNotPlain is a document yamlToJSON leaves to the YAML decoder.
var errNotPlain = errors.New("not plain YAML")

// yamlToJSON turns a YAML document of mappings, sequences and plain scalars
// into JSON, the fast way to decode a large YAML bundle: quoted and
// non-numeric scalars become strings, numbers stay numbers. Anything else
// (anchors, aliases, tags, several documents, numbers JSON does not write)
// is errNotPlain; Parse then decodes with the YAML decoder, which also
// decides every value encoding/json would refuse.
func yamlToJSON(data []byte) ([]byte, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil || len(file.Docs) != 1 {
		return nil, errNotPlain
	}
	var b bytes.Buffer
	if err := writeJSON(&b, file.Docs[0].Body); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, node ast.Node) error {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		b.WriteString("null")
	case *ast.MappingNode:
		return writeMapping(b, n.Values)
	case *ast.MappingValueNode:
		return writeMapping(b, []*ast.MappingValueNode{n})
	case *ast.SequenceNode:
		b.WriteByte('[')
		for i, v := range n.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, v); err != nil {
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

func writeMapping(b *bytes.Buffer, values []*ast.MappingValueNode) error {
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
		if err := writeJSON(b, mv.Value); err != nil {
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
