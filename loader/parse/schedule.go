package parse

import (
	"fmt"
	"slices"
	"strings"

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
var ScheduleColumns = []string{"schedule", "kind", "name", "conditions", "amount", "percent", "absolute", "effective", "end"}

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

// ScheduleRow reads a schedule file row into a one-line schedule, validated on its own.
func ScheduleRow(vals []string) (*edits.Schedule, error) {
	if err := checkControl(ScheduleColumns, vals); err != nil {
		return nil, err
	}
	if err := required(ScheduleColumns, vals, "schedule", "kind", "effective"); err != nil {
		return nil, err
	}
	s := &edits.Schedule{ID: Col(ScheduleColumns, vals, "schedule"), Name: Col(ScheduleColumns, vals, "name"),
		Kind: edits.ScheduleKind(strings.ToUpper(Col(ScheduleColumns, vals, "kind")))}
	var line edits.ScheduleLine
	var err error
	if s.Columns, line.Values, err = parseConditions("conditions", Col(ScheduleColumns, vals, "conditions")); err != nil {
		return nil, err
	}
	for _, a := range []struct {
		name string
		dst  **decimal.Decimal
	}{{"amount", &line.Amount}, {"percent", &line.Percent}, {"absolute", &line.Absolute}} {
		v := Col(ScheduleColumns, vals, a.name)
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
	if line.From, err = parseDate("effective", Col(ScheduleColumns, vals, "effective")); err != nil {
		return nil, err
	}
	if v := Col(ScheduleColumns, vals, "end"); v != "" {
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

// Attributes reads a catalog row's "name=value;name=value" attributes.
func Attributes(v string) (map[string]string, error) {
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
