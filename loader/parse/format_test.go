package parse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestCSVErrors: encoding/csv reads the rows; a bad row names its line and
// column, and the next row is read.
func TestCSVErrors(t *testing.T) {
	data := "#rxclaims kind=drug expected=3\nndc,name\n1,\"unterminated\n2,a\"b\n3,\"quoted, with comma\"\n"
	rows, _, err := NewRows(strings.NewReader(data), CSV, []string{"ndc", "name"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		vals, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, strings.Join(vals, "|"))
	}
	want := []string{
		"line 3: column 17: unterminated quoted field, or text after a closing quote",
		"line 4: column 4: a quote inside an unquoted field",
		"3|quoted, with comma",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestByteOrderMark: a UTF-8 byte order mark (spreadsheet exports write
// one) at the start of the header line or of the CSV column line is
// ignored, for the record count too.
func TestByteOrderMark(t *testing.T) {
	data := "\ufeff#rxclaims kind=drug expected=1\n\ufeffndc,name\n1,a\n"
	h, n, err := CountRecords(strings.NewReader(data), CSV)
	if err != nil || h.Kind != KindDrug || n != 1 {
		t.Fatalf("CountRecords: %+v %d %v", h, n, err)
	}
	rows, _, err := NewRows(strings.NewReader(data), CSV, []string{"ndc", "name"})
	if err != nil {
		t.Fatal(err)
	}
	if vals, err := rows.Next(); err != nil || strings.Join(vals, "|") != "1|a" {
		t.Fatalf("row: %q %v", vals, err)
	}
}
