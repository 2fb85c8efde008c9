package adjudicator

import (
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"testing"
)

// documentedSteps reads the step names listed in the package documentation.
func documentedSteps(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^\t([a-z][a-z ]*[a-z])\s{2,}(\d+|-)\s`)
	var names []string
	for _, c := range f.Doc.List {
		if m := row.FindStringSubmatch(c.Text[len("//"):]); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

func TestStepsInDocumentedOrder(t *testing.T) {
	doc := documentedSteps(t)
	if len(doc) < 10 {
		t.Fatalf("the package documentation lists %d steps: %q", len(doc), doc)
	}
	for name, steps := range map[string][]step{"bill": billSteps, "rebill": rebillSteps, "test claim": testClaimSteps} {
		if got := stepNames(steps); !slices.Equal(got, doc) {
			t.Errorf("%s steps\n got %q\nwant %q (doc.go)", name, got, doc)
		}
	}
	if got, want := stepNames(reverseSteps), []string{"syntax", stepRouting, "reversal", "commit"}; !slices.Equal(got, want) {
		t.Errorf("reverse steps %q, want %q", got, want)
	}
	if !slices.Contains(doc, stepEligibility) || !slices.Contains(doc, stepPharmacy) {
		t.Errorf("the eligibility inquiry's step names %q, %q are not steps", stepEligibility, stepPharmacy)
	}
}
