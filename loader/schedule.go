package loader

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// ScheduleRecord is a schedule as the loader holds it, with the file that
// loaded it.
type ScheduleRecord struct {
	edits.Schedule
	File string `json:"file"`
}

type scheduleProc struct{ l *Loader }

func (scheduleProc) columns() []string { return parse.ScheduleColumns }

func (scheduleProc) check(vals []string) error { _, err := parse.ScheduleRow(vals); return err }

func (scheduleProc) apply(c *chunk, vals []string) error {
	row, err := parse.ScheduleRow(vals)
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
