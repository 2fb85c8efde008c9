package codegen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestConstBase(t *testing.T) {
	for desc, want := range map[string]string{
		"M/I Cardholder ID":                  "RejectMICardholderID",
		"Refill Too Soon":                    "RejectRefillTooSoon",
		"Non-Matched Cardholder ID":          "RejectNonMatchedCardholderID",
		"M/I Date of Service":                "RejectMIDateOfService",
		"Qty Doesn't Match # of Repetitions": "RejectQtyDoesntMatchOfRepetitions",
		"Uppercase Character(s) Required":    "RejectUppercaseCharactersRequired",
		"ingredient;no override":             "RejectIngredientNoOverride",
		"Cost>$0":                            "RejectCost0",
		"3-Day Supply":                       "Reject3DaySupply",
		"":                                   "",
		" - ":                                "",
	} {
		if got := ConstBase(desc); got != want {
			t.Errorf("ConstBase(%q) = %q, want %q", desc, got, want)
		}
	}
}

func TestConstNames(t *testing.T) {
	rows := []Row{
		{Code: "15", Text: "M/I Date of Service"},
		{Code: "07", Text: "M/I Cardholder ID"},
		{Code: "593", Text: "M/I Date Of Service"},
		{Code: "X1", Text: ""},
	}
	got, err := ConstNames(rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"RejectMIDateOfService15", "RejectMICardholderID", "RejectMIDateOfService593", "RejectCodeX1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConstNames = %q, want %q", got, want)
	}

	// Appending the code must not produce a clash with another name.
	_, err = ConstNames([]Row{{Code: "1", Text: "A"}, {Code: "2", Text: "A"}, {Code: "3", Text: "A1"}})
	if err == nil {
		t.Error("ConstNames accepted a residual collision")
	}
}

func TestReadTable(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "t.tsv")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rows, err := ReadTable(write("code\tdescription\r\nA\tfirst \r\nB\tbee\nA\tsecond\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Code: "B", Text: "bee"}, {Code: "A", Text: "second", Superseded: []string{"first"}}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("ReadTable = %+v, want %+v", rows, want)
	}
	for _, bad := range []string{
		"",
		"code\tdescription\n",
		"code\tdesc\nA\tx\n",
		"code\tdescription\nA x\n",
		"code\tdescription\nA\tx\ty\n",
		"code\tdescription\n\tx\n",
		"code\tdescription\nA B\tx\n",
	} {
		if _, err := ReadTable(write(bad)); err == nil {
			t.Errorf("ReadTable accepted %q", bad)
		}
	}
}

// src is the in-repository copy of the tables that go generate reads.
const src = "../../tables"

func TestGenerateHeader(t *testing.T) {
	// The tables are part of the repository: a missing one is a failure.
	out, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), Header+"\n\npackage ncpdp\n") {
		t.Errorf("output starts %q", string(out[:80]))
	}
}
