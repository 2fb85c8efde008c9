package loader

import (
	"slices"
	"testing"

	"github.com/rxclaims/rxclaims/loader/parse"
)

// TestExampleProfiles: the sample file the README points to parses and
// resolves.
func TestExampleProfiles(t *testing.T) {
	p, err := LoadProfiles("examples/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Resolve("GRP100-EAST")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pend) != 0 || !r.SelfApprove || len(r.Classes) != 3 || !r.CancelMissing {
		t.Fatalf("GRP100-EAST resolved to %+v", r)
	}
}

// TestChangeFactsNamed: the change facts the loader computes are the ones
// the profiles' pend rules may name.
func TestChangeFactsNamed(t *testing.T) {
	var names []string
	for _, cf := range changeFacts {
		names = append(names, cf.name)
	}
	if !slices.Equal(names, parse.ChangeFacts) {
		t.Fatalf("loader computes %q, profiles accept %q", names, parse.ChangeFacts)
	}
}
