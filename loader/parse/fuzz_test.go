package parse

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// The parsers never panic, and what they accept is consistent: a parsed
// header prints and parses back to itself, a record that passes the schema
// check round-trips through its stored form, and every row read has one
// value per column.

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"#rxclaims group=GRP100 file_type=eligibility record_type=full expected=3 file_id=F1",
		"#rxclaims kind=drug expected=10",
		"#rxclaims group=g file_type=population record_type=changes expected=0 as_of=2026-12-01",
		"#rxclaims group= expected=1", "#rxclaimsx", "", "#rxclaims expected=-1 expected=2",
		"\ufeff#rxclaims kind=drug expected=1", // a byte order mark
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(s)
		if err != nil {
			return
		}
		h2, err := ParseHeader(h.String())
		if err != nil || h2 != h {
			t.Fatalf("%q parsed to %+v, which prints as %q and parses to %+v, %v", s, h, h.String(), h2, err)
		}
	})
}

func fuzzRows(t *testing.T, data string, format Format) {
	rows, _, err := NewRows(strings.NewReader(data), format, FamilyColumns)
	if err != nil {
		return
	}
	for range 1000 {
		vals, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *RowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			return
		}
		if len(vals) != len(FamilyColumns) {
			t.Fatalf("row with %d values for %d columns", len(vals), len(FamilyColumns))
		}
		rec, err := ToRecord(vals)
		if err != nil {
			continue
		}
		back, err := DecodeRecord(rec.Encode())
		if err != nil || back != rec {
			t.Fatalf("record %q does not round-trip: %q %v", rec, back, err)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	head := "#rxclaims group=G file_type=eligibility record_type=full expected=2\n"
	f.Add(head + "cardholder_id,person_code,date_of_birth\nA1,001,1980-01-01\n\"A,2\",002,x\n")
	f.Add(head + "cardholder_id,person_code\n\"A\"\"1\",001\n\"unterminated,001\n")
	f.Add(head + "cardholder_id,cardholder_id\n")
	f.Add(head + "cardholder_id,person_code\r\nA\"1,001\r\n\"A1\" x,001\r\n\"\",\"001\"\r\n")
	f.Add(head + "cardholder_id,person_code,hours_worked,salary\nA1,001,40.5,1e3\nA1,001,-1,x\n")
	f.Add("\ufeff" + head + "\ufeffcardholder_id,person_code\nA1,001\n\ufeffA2,002\n") // byte order marks
	f.Fuzz(func(t *testing.T, data string) { fuzzRows(t, data, CSV) })
}

func FuzzParseJSONLines(f *testing.F) {
	head := "#rxclaims group=G file_type=participation record_type=changes expected=2\n"
	f.Add(head + `{"cardholder_id": "A1", "person_code": "001", "hours_worked": 40}` + "\n")
	f.Add(head + `{"cardholder_id": null, "person_code": [1]}` + "\n" + `not json` + "\n")
	f.Add(head + `{"plan_id": "PPO", "coverage_effective": "2026-02-30", "unknown": 1}` + "\n")
	f.Fuzz(func(t *testing.T, data string) { fuzzRows(t, data, JSONLines) })
}

func FuzzParseProfiles(f *testing.F) {
	example, err := os.ReadFile("../examples/profiles.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add("groups:\n- id: A\n  parent: B\n- id: B\n  parent: A\n")
	f.Add("groups:\n- id: A\n  comparatr: true\n")
	f.Add(`{"groups": [{"id": "A", "pend": [{"name": "p", "when": [{"field": "change.plan", "value": "true"}]}]}]}`)
	f.Add("groups:\n- id: A\n  pend: []\n- id: B\n  parent: A\n  ranges: {salary: {min: 1, max: x}}\n")
	f.Add("groups:\n- id: A\n  classes:\n  - {name: X, plan: P, when: [{field: hours_worked, op: '>=', value: x}]}\n")
	for _, in := range deepInputs { // once seconds each: the parser is quadratic in depth
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProfiles([]byte(s))
		if err != nil {
			return
		}
		for _, g := range p.Groups {
			if _, err := p.Resolve(g.ID); err != nil {
				t.Fatalf("validated profiles do not resolve %s: %v", g.ID, err)
			}
		}
	})
}
