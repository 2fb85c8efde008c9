package parse

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is what a file holds.
type Kind string

// The kinds of intake file.
const (
	KindFamily   Kind = "family"
	KindDrug     Kind = "drug"
	KindPharmacy Kind = "pharmacy"
	KindNetwork  Kind = "network"
	KindSchedule Kind = "schedule"
	// KindPrescriber is the prescriber file (DOMAIN.md section 6, step 5b).
	KindPrescriber Kind = "prescriber"
	// KindPriorAuth is a prior authorization file (PriorAuthColumns).
	KindPriorAuth Kind = "prior_auth"
)

// FileType is a family file's type (seed 003).
type FileType string

// The family file types.
const (
	Participation FileType = "participation" // enroll as elected, no eligibility check
	Eligibility   FileType = "eligibility"   // eligible members; class given or derived
	Population    FileType = "population"    // everyone; derive eligibility and class
)

// RecordType says whether a file carries changes only or full records.
type RecordType string

// The record types.
const (
	ChangesOnly RecordType = "changes"
	FullRecord  RecordType = "full"
)

// Format is a file's encoding.
type Format string

// The formats.
const (
	CSV        Format = "csv"
	JSONLines  Format = "jsonl"
	headerMark        = "#rxclaims"
)

// Header is a file's first line:
//
//	#rxclaims kind=family group=GRP100 file_type=eligibility record_type=full expected=120 file_id=2026-11-01
//
// kind defaults to family; group, file_type and record_type are required for
// family files; expected is the number of records the file will hold (the
// file is Loading until they have all arrived); file_id names the file for
// people.
type Header struct {
	Kind       Kind
	Group      string
	FileType   FileType
	RecordType RecordType
	Expected   int
	FileID     string
	AsOf       string // the date missing members are cancelled from; default the processing date
}

// bom is the UTF-8 byte order mark some exporters (spreadsheets) write at
// the start of a file: the header line and the CSV column line may start
// with one, and it is ignored there.
const bom = "\ufeff"

// ParseHeader parses a header line.
func ParseHeader(line string) (Header, error) {
	h := Header{Kind: KindFamily, Expected: -1}
	line = strings.TrimPrefix(line, bom)
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), headerMark)
	if !ok || (rest != "" && rest[0] != ' ') {
		return h, fmt.Errorf("header: the first line must start with %q", headerMark)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Fields(rest) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" {
			return h, fmt.Errorf("header: %q is not key=value", kv)
		}
		if seen[k] {
			return h, fmt.Errorf("header: %s given twice", k)
		}
		seen[k] = true
		switch k {
		case "kind":
			h.Kind = Kind(v)
		case "group":
			if !IsCode(v, 1, 20) {
				return h, fmt.Errorf("header: group %q must be 1 to 20 letters, digits, '-' or '_'", v)
			}
			h.Group = strings.ToUpper(v)
		case "file_type":
			h.FileType = FileType(v)
		case "record_type":
			h.RecordType = RecordType(v)
		case "expected":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return h, fmt.Errorf("header: expected %q must be a whole number", v)
			}
			h.Expected = n
		case "file_id":
			if !IsCode(v, 1, 64) {
				return h, fmt.Errorf("header: file_id %q must be 1 to 64 letters, digits, '-' or '_'", v)
			}
			h.FileID = v
		case "as_of":
			if _, err := normalize(FCoverageEnd, v); err != nil {
				return h, fmt.Errorf("header: as_of %q must be a date YYYY-MM-DD", v)
			}
			h.AsOf = v
		default:
			return h, fmt.Errorf("header: unknown key %q", k)
		}
	}
	if h.Expected < 0 {
		return h, errors.New("header: expected (the record count) is required")
	}
	switch h.Kind {
	case KindFamily:
		if h.Group == "" {
			return h, errors.New("header: group is required for a family file")
		}
		switch h.FileType {
		case Participation, Eligibility, Population:
		default:
			return h, fmt.Errorf("header: file_type %q must be participation, eligibility or population", h.FileType)
		}
		switch h.RecordType {
		case ChangesOnly, FullRecord:
		default:
			return h, fmt.Errorf("header: record_type %q must be changes or full", h.RecordType)
		}
	case KindDrug, KindPharmacy, KindNetwork, KindSchedule, KindPrescriber, KindPriorAuth:
		if h.FileType != "" || h.RecordType != "" || h.Group != "" {
			return h, fmt.Errorf("header: group, file_type and record_type apply to family files only")
		}
	default:
		return h, fmt.Errorf("header: kind %q must be family, drug, pharmacy, network, schedule, prescriber or prior_auth", h.Kind)
	}
	return h, nil
}

func (h Header) String() string {
	var b strings.Builder
	b.WriteString(headerMark + " kind=" + string(h.Kind))
	if h.Group != "" {
		b.WriteString(" group=" + h.Group + " file_type=" + string(h.FileType) + " record_type=" + string(h.RecordType))
	}
	b.WriteString(" expected=" + strconv.Itoa(h.Expected))
	if h.FileID != "" {
		b.WriteString(" file_id=" + h.FileID)
	}
	if h.AsOf != "" {
		b.WriteString(" as_of=" + h.AsOf)
	}
	return b.String()
}

// RowError is a record that could not be read or is invalid; the file
// goes on with the next record.
type RowError struct {
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// maxLine bounds a line; a longer one fails the file.
const maxLine = 64 << 10

// Rows reads a file's records after its header as values by column name.
type Rows struct {
	sc      *bufio.Scanner
	format  Format
	columns []string // the schema's columns
	pos     []int    // CSV: file column → schema column
	line    int
	vals    []string
	csv     *csvLines
}

// NewRows reads the header and, for CSV, the column line from r. columns
// are the columns the file kind allows; a CSV naming another column fails.
func NewRows(r io.Reader, format Format, columns []string) (*Rows, Header, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	rs := &Rows{sc: sc, format: format, columns: columns, vals: make([]string, len(columns)), csv: newCSVLines()}
	if !rs.scan() {
		return nil, Header{}, rs.errOr(errors.New("the file is empty"))
	}
	h, err := ParseHeader(sc.Text())
	if err != nil {
		return nil, h, err
	}
	switch format {
	case CSV:
		if !rs.scan() {
			return nil, h, rs.errOr(errors.New("the CSV column line is missing"))
		}
		names, err := rs.csv.split(strings.TrimPrefix(strings.TrimRight(sc.Text(), "\r"), bom))
		if err != nil {
			return nil, h, fmt.Errorf("CSV column line: %w", err)
		}
		rs.pos = make([]int, len(names))
		seen := map[string]bool{}
		for i, n := range names {
			n = strings.TrimSpace(n)
			j := indexOf(columns, n)
			if j < 0 {
				return nil, h, fmt.Errorf("CSV column line: unknown column %q", n)
			}
			if seen[n] {
				return nil, h, fmt.Errorf("CSV column line: column %q appears twice", n)
			}
			seen[n] = true
			rs.pos[i] = j
		}
	case JSONLines:
	default:
		return nil, h, fmt.Errorf("unknown format %q", format)
	}
	return rs, h, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func (rs *Rows) scan() bool {
	for rs.sc.Scan() {
		rs.line++
		if len(bytes.TrimSpace(rs.sc.Bytes())) > 0 {
			return true
		}
	}
	return false
}

func (rs *Rows) errOr(def error) error {
	if err := rs.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d is longer than %d bytes", rs.line+1, maxLine)
		}
		return err
	}
	return def
}

// Line is the line number of the last record read.
func (rs *Rows) Line() int { return rs.line }

// Next returns the next record's values, aligned with the columns and valid
// until the next call. It returns io.EOF after the last record, a *RowError
// for a record that cannot be read (the next call goes on), or another error
// when the file cannot be read further.
func (rs *Rows) Next() ([]string, error) {
	if !rs.scan() {
		return nil, rs.errOr(io.EOF)
	}
	clear(rs.vals)
	text := strings.TrimRight(rs.sc.Text(), "\r")
	switch rs.format {
	case CSV:
		fields, err := rs.csv.split(text)
		if err != nil {
			return nil, &RowError{Line: rs.line, Err: err}
		}
		if len(fields) != len(rs.pos) {
			return nil, &RowError{Line: rs.line, Err: fmt.Errorf("has %d fields, the column line %d", len(fields), len(rs.pos))}
		}
		for i, v := range fields {
			rs.vals[rs.pos[i]] = strings.TrimSpace(v)
		}
	case JSONLines:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &obj); err != nil {
			return nil, &RowError{Line: rs.line, Err: fmt.Errorf("not a JSON object: %w", err)}
		}
		for k, raw := range obj {
			j := indexOf(rs.columns, k)
			if j < 0 {
				return nil, &RowError{Line: rs.line, Err: fmt.Errorf("unknown field %q", k)}
			}
			v, err := jsonScalar(raw)
			if err != nil {
				return nil, &RowError{Line: rs.line, Err: fmt.Errorf("%s: %w", k, err)}
			}
			rs.vals[j] = strings.TrimSpace(v)
		}
	}
	return rs.vals, nil
}

// jsonScalar returns a JSON string, number or null as text.
func jsonScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", errors.New("empty value")
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case string(raw) == "null":
		return "", nil
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
	return "", errors.New("must be a string, a number or null")
}

// csvLines parses CSV one line at a time with encoding/csv (RFC 4180
// quoting; a quoted field may not span lines: the file's lines are its
// records, as CountRecords counts them).
type csvLines struct {
	src lineSource
	r   *csv.Reader
}

// lineSource is the reader under csvLines: the line being parsed.
type lineSource struct{ s string }

func (l *lineSource) Read(p []byte) (int, error) {
	if l.s == "" {
		return 0, io.EOF
	}
	n := copy(p, l.s)
	l.s = l.s[n:]
	return n, nil
}

func newCSVLines() *csvLines {
	c := &csvLines{}
	c.r = csv.NewReader(&c.src)
	c.r.FieldsPerRecord = -1
	c.r.ReuseRecord = true
	return c
}

// split returns the fields of line, valid until the next call.
func (c *csvLines) split(line string) ([]string, error) {
	c.src.s = line + "\n"
	fields, err := c.r.Read()
	c.src.s = ""
	if errors.Is(err, io.EOF) {
		return []string{""}, nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return nil, fmt.Errorf("column %d: a quote inside an unquoted field", pe.Column)
		case errors.Is(pe.Err, csv.ErrQuote):
			return nil, fmt.Errorf("column %d: unterminated quoted field, or text after a closing quote", pe.Column)
		}
		return nil, pe.Err
	}
	return fields, err
}

// CountRecords counts the complete (newline-terminated), non-blank lines of
// a file after its header lines, and returns the header. A file still being
// written has an incomplete last line, which is not counted.
func CountRecords(r io.Reader, format Format) (Header, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var h Header
	n, headers := 0, 1
	if format == CSV {
		headers = 2
	}
	for lineNo := 0; ; {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return h, 0, fmt.Errorf("line %d is longer than %d bytes", lineNo+1, br.Size())
		}
		if err != nil { // io.EOF: an unterminated last line has not fully arrived
			if errors.Is(err, io.EOF) {
				if lineNo == 0 {
					return h, 0, ErrIncomplete
				}
				return h, n, nil
			}
			return h, 0, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lineNo++
		if lineNo == 1 {
			if h, err = ParseHeader(string(line)); err != nil {
				return h, 0, err
			}
			continue
		}
		if lineNo > headers {
			n++
		}
	}
}

// ErrIncomplete is CountRecords' answer for a file whose header line has
// not fully arrived.
var ErrIncomplete = errors.New("the header line has not arrived")
