package loader

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/loader/state"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// Schedule files carry rate schedules and adjustment rules (DOMAIN §9), one
// line per row. A row's conditions are "column=cell" pairs separated by
// ";", for example "network_type=RETAIL|RETAIL90;brand_class=GENERIC*":
// the columns are claim facts, so a new column is a new name in the file.
// A file carries whole schedules: the first row of a schedule in a file
// replaces the schedule's lines, and the later rows add to them.
var scheduleColumns = []string{"schedule", "kind", "name", "conditions", "amount", "percent", "absolute", "effective", "end"}

// ScheduleRecord is a schedule as the loader holds it, with the file that
// loaded it.
type ScheduleRecord struct {
	edits.Schedule
	File string `json:"file"`
}

// parseConditions reads "name=cell;name=cell" into names and cells, in order.
func parseConditions(field, v string) (names, cells []string, err error) {
	for _, pair := range strings.Split(v, ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, cell, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, nil, fmt.Errorf("%s: %q is not name=value", field, pair)
		}
		if slices.Contains(names, name) {
			return nil, nil, fmt.Errorf("%s: %s appears twice", field, name)
		}
		names, cells = append(names, name), append(cells, strings.TrimSpace(cell))
	}
	return names, cells, nil
}

type scheduleProc struct{ l *Loader }

func (scheduleProc) columns() []string { return scheduleColumns }

// parse reads a row into a one-line schedule, validated on its own.
func (scheduleProc) parse(vals []string) (*edits.Schedule, error) {
	if err := checkControl(scheduleColumns, vals); err != nil {
		return nil, err
	}
	if err := required(scheduleColumns, vals, "schedule", "kind", "effective"); err != nil {
		return nil, err
	}
	s := &edits.Schedule{ID: col(scheduleColumns, vals, "schedule"), Name: col(scheduleColumns, vals, "name"),
		Kind: edits.ScheduleKind(strings.ToUpper(col(scheduleColumns, vals, "kind")))}
	var line edits.ScheduleLine
	var err error
	if s.Columns, line.Values, err = parseConditions("conditions", col(scheduleColumns, vals, "conditions")); err != nil {
		return nil, err
	}
	for _, a := range []struct {
		name string
		dst  **decimal.Decimal
	}{{"amount", &line.Amount}, {"percent", &line.Percent}, {"absolute", &line.Absolute}} {
		v := col(scheduleColumns, vals, a.name)
		if v == "" {
			continue
		}
		d, err := decimal.NewFromString(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", a.name, v)
		}
		if d.Exponent() < -5 {
			return nil, fmt.Errorf("%s: %s has more than 5 decimal places", a.name, v)
		}
		*a.dst = &d
	}
	if line.From, err = parseDate("effective", col(scheduleColumns, vals, "effective")); err != nil {
		return nil, err
	}
	if v := col(scheduleColumns, vals, "end"); v != "" {
		if line.To, err = parseDate("end", v); err != nil {
			return nil, err
		}
	}
	s.Lines = []edits.ScheduleLine{line}
	if err := s.Validate(edits.IsScheduleColumn); err != nil {
		return nil, err
	}
	return s, nil
}

func (p scheduleProc) check(vals []string) error { _, err := p.parse(vals); return err }

func (p scheduleProc) apply(c *chunk, vals []string) error {
	row, err := p.parse(vals)
	if err != nil {
		return bad(err)
	}
	key := state.ScheduleKey(row.ID)
	var s ScheduleRecord
	before, err := loadCatalog(c, key, &s)
	if err != nil {
		return err
	}
	if s.File != c.f.Ref() { // the first row of this schedule in this file
		s = ScheduleRecord{Schedule: edits.Schedule{ID: row.ID, Kind: row.Kind, Columns: []string{}}, File: c.f.Ref()}
	}
	if row.Kind != s.Kind {
		return bad(fmt.Errorf("kind: schedule %s is %s in an earlier row", s.ID, s.Kind))
	}
	if row.Name != "" {
		s.Name = row.Name
	}
	// Widen the schedule to the row's columns ("*" where a line is silent),
	// then place the row's cells.
	for _, name := range row.Columns {
		if !slices.Contains(s.Columns, name) {
			s.Columns = append(s.Columns, name)
			for i := range s.Lines {
				s.Lines[i].Values = append(s.Lines[i].Values, "*")
			}
		}
	}
	line := row.Lines[0]
	values := make([]string, len(s.Columns))
	for i, name := range s.Columns {
		values[i] = "*"
		if j := slices.Index(row.Columns, name); j >= 0 && line.Values[j] != "" {
			values[i] = line.Values[j]
		}
	}
	line.Values = values
	for n, l := range s.Lines {
		if strings.EqualFold(strings.Join(l.Values, "\x00"), strings.Join(values, "\x00")) &&
			(l.To.IsZero() || !l.To.Before(line.From)) && (line.To.IsZero() || !line.To.Before(l.From)) {
			return bad(fmt.Errorf("conditions: the same conditions as the schedule's line %d over overlapping dates", n+1))
		}
	}
	s.Lines = append(s.Lines, line)
	return c.catalogChange(key, before, &s)
}

func (scheduleProc) finish(context.Context, *FileStatus) error { return nil }

// parseAttributes reads a catalog row's "name=value;name=value" attributes.
func parseAttributes(v string) (map[string]string, error) {
	names, values, err := parseConditions("attributes", v)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	m := make(map[string]string, len(names))
	for i, n := range names {
		m[n] = values[i]
	}
	return m, domain.ValidateAttributes(m)
}
