package adminctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/wire"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// readEdit reads an edit file: JSON, or YAML (a .yaml or .yml file), whose
// syntax errors name the line and column. Unknown fields are errors.
func readEdit(path string) (edits.Edit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return edits.Edit{}, err
	}
	if isYAML(path) {
		// The edit's document is JSON (its fields carry json tags, with
		// the effective range inlined), so YAML becomes JSON first.
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return edits.Edit{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	ed, err := wire.EditFromJSON(b)
	if err != nil {
		return edits.Edit{}, fmt.Errorf("%s: %w", path, err)
	}
	return ed, nil
}

func isYAML(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// readClaim reads a test claim: a claims.proto Claim as JSON, bare or in
// a Bill request ({"claim": {...}}, as the README's grpcurl example sends
// it).
func readClaim(path string) (*adjudicator.Claim, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var claim pb.Claim
	if err := protojson.Unmarshal(billClaim(b), &claim); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return wire.ClaimFromProto(&claim), nil
}

// billClaim returns the claim of a Bill request's JSON ({"claim": {...}}),
// or b itself when it is not one.
func billClaim(b []byte) []byte {
	var req map[string]json.RawMessage
	if json.Unmarshal(b, &req) != nil || len(req) != 1 {
		return b
	}
	if c, ok := req["claim"]; ok && bytes.HasPrefix(bytes.TrimSpace(c), []byte("{")) {
		return c
	}
	return b
}
