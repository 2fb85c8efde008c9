package ncpdp

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/ncpdp/internal/codegen"
)

// srcDir is where go generate reads the tables from (see doc.go). The
// tables are part of the repository, so the tests below never skip: a
// missing or unreadable table is a failure.
const srcDir = "tables"

func TestGeneratedIsUpToDate(t *testing.T) {
	want, err := codegen.Generate(srcDir)
	if err != nil {
		t.Fatalf("generating from %s: %v", srcDir, err)
	}
	got, err := os.ReadFile("tables_gen.go")
	if err != nil {
		t.Fatalf("%v; run `go generate ./internal/ncpdp`", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w || i >= len(gl) || i >= len(wl) {
			t.Fatalf("tables_gen.go is out of date with %s; run `go generate ./internal/ncpdp`\nfirst difference at line %d:\n have: %q\n want: %q", srcDir, i+1, g, w)
		}
	}
	t.Fatalf("tables_gen.go is out of date with %s; run `go generate ./internal/ncpdp`", srcDir)
}

func TestKnownCodes(t *testing.T) {
	for _, tc := range []struct {
		c    RejectCode
		code string
		text string
	}{
		{RejectMICardholderID, "07", "M/I Cardholder ID"},
		{RejectRefillTooSoon, "79", "Refill Too Soon"},
		{RejectNonMatchedCardholderID, "52", "Non-Matched Cardholder ID"},
		{RejectPriorAuthorizationRequired, "75", "Prior Authorization Required"},
		{RejectMIDateOfService15, "15", "M/I Date of Service"},
		{RejectMIDateOfService593, "593", "M/I Date of Service"},
	} {
		if string(tc.c) != tc.code {
			t.Errorf("constant for %q = %q", tc.code, string(tc.c))
		}
		if got := tc.c.Text(); got != tc.text {
			t.Errorf("RejectCode(%q).Text() = %q, want %q", tc.code, got, tc.text)
		}
	}

	if c, ok := LookupReject("79"); !ok || c != RejectRefillTooSoon || c.Text() != "Refill Too Soon" {
		t.Errorf(`LookupReject("79") = %q, %v (text %q)`, c, ok, c.Text())
	}
	for _, bad := range []string{"", "XX9", "79 ", "ep"} {
		if c, ok := LookupReject(bad); ok || c != "" {
			t.Errorf("LookupReject(%q) = %q, %v; want \"\", false", bad, c, ok)
		}
	}
	if got := RejectCode("XX9").Text(); got != "" {
		t.Errorf(`RejectCode("XX9").Text() = %q, want ""`, got)
	}

	if !DAW.Has("2") || DAW.Text("0") != "NO PRODUCT SELECTION INDICATED" {
		t.Errorf(`DAW: Has("2") = %v, Text("0") = %q`, DAW.Has("2"), DAW.Text("0"))
	}
	if DAW.Has("X") || DAW.Text("X") != "" {
		t.Error(`DAW.Has("X") or DAW.Text("X") != ""`)
	}
	if !SubmissionClarification.Has("99") || SubmissionClarification.Text("99") != "OTHER" {
		t.Errorf(`SubmissionClarification.Text("99") = %q`, SubmissionClarification.Text("99"))
	}
	// Trailing blanks in the source are trimmed.
	if got := SubmissionClarification.Text("30"); got != "LTC DISPENSING: PER SHIFT DISPENSING" {
		t.Errorf(`SubmissionClarification.Text("30") = %q`, got)
	}
	if got := DURReason.Text("DD"); got != "DRUG-DRUG INTERACTION" {
		t.Errorf(`DURReason.Text("DD") = %q`, got)
	}
	if got := DURProfessional.Text("M0"); got != "PRESCRIBER CONSULTED" {
		t.Errorf(`DURProfessional.Text("M0") = %q`, got)
	}
	// 1A appears twice in the source; the later ("DISPENSED") row wins.
	if got := DURResult.Text("1A"); got != "DISPENSED AS IS, FALSE POSITIVE" {
		t.Errorf(`DURResult.Text("1A") = %q`, got)
	}
	if !Rejects.Has("Ep") || !Rejects.Has("EP") || Rejects.Has("ep") {
		t.Error("reject lookups are not case-sensitive as expected")
	}
}

// TestTablesMatchSource checks every table against its source file: same
// codes, in the same order, with the same descriptions.
func TestTablesMatchSource(t *testing.T) {
	for file, tab := range map[string]*Table{
		"reject-codes.tsv":                   Rejects,
		"daw-codes.tsv":                      DAW,
		"submission-clarification-codes.tsv": SubmissionClarification,
		"dur-reason-for-service-codes.tsv":   DURReason,
		"dur-professional-service-codes.tsv": DURProfessional,
		"dur-result-of-service-codes.tsv":    DURResult,
	} {
		rows, err := codegen.ReadTable(filepath.Join(srcDir, file))
		if err != nil {
			t.Fatal(err)
		}
		codes := tab.Codes()
		if len(codes) != len(rows) || tab.Len() != len(rows) {
			t.Errorf("%s: table has %d codes (Len %d), file has %d distinct codes", file, len(codes), tab.Len(), len(rows))
			continue
		}
		for i, r := range rows {
			if codes[i] != r.Code || tab.Text(r.Code) != r.Text {
				t.Errorf("%s row %d: table has %q %q, file has %q %q", file, i, codes[i], tab.Text(codes[i]), r.Code, r.Text)
			}
		}
	}
}

// TestOneConstantPerRejectCode checks that each reject code in the source
// has exactly one RejectCode constant, both through rejectCodes and by
// parsing the const declarations of tables_gen.go.
func TestOneConstantPerRejectCode(t *testing.T) {
	rows, err := codegen.ReadTable(filepath.Join(srcDir, codegen.RejectFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rejectCodes) != len(rows) {
		t.Errorf("len(rejectCodes) = %d, reject table has %d rows", len(rejectCodes), len(rows))
	}
	seen := map[RejectCode]bool{}
	for _, c := range rejectCodes {
		if seen[c] {
			t.Errorf("rejectCodes lists %q twice", c)
		}
		seen[c] = true
		if !Rejects.Has(string(c)) {
			t.Errorf("rejectCodes lists %q, not in Rejects", c)
		}
	}

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "tables_gen.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string][]string{} // code -> constant names
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "RejectCode" {
				continue
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s: value is not a string literal", name.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				byCode[v] = append(byCode[v], name.Name)
			}
		}
	}
	for _, r := range rows {
		if n := byCode[r.Code]; len(n) != 1 {
			t.Errorf("reject code %q has constants %v, want exactly one", r.Code, n)
		}
		delete(byCode, r.Code)
	}
	for code, names := range byCode {
		t.Errorf("constants %v have code %q, not in %s", names, code, codegen.RejectFile)
	}
}
