package loader

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/loader/parse"
)

// outcome is what a record did.
type outcome int

const (
	outNew outcome = iota
	outChanged
	outUnchanged
	outIneligible
)

// Activities a record change is journaled as (seed 003's spawned activities).
const (
	ActMemberCreated     = "member_created"
	ActDependentAdded    = "dependent_added"
	ActMemberUpdated     = "member_updated"
	ActCoverageEnrolled  = "coverage_enrolled"
	ActCoverageChanged   = "coverage_changed"
	ActCoverageCancelled = "coverage_cancelled"
	ActCoverageRestored  = "coverage_reinstated"
	ActClassChanged      = "class_changed"
)

// familyRules holds what a family file's records are checked against.
type familyRules struct {
	h     parse.Header
	prof  *parse.Resolved
	asOf  domain.Date // the date changes without their own date take effect
	today domain.Date
}

// checkStateless checks what does not depend on the loader's state: schema,
// ranges and, for full records, presence and class derivation.
func (fr *familyRules) checkStateless(vals []string) error {
	rec, err := parse.ToRecord(vals)
	if err != nil {
		return err
	}
	if err := fr.prof.CheckRanges(&rec); err != nil {
		return err
	}
	if fr.h.RecordType == parse.FullRecord {
		_, _, _, err := fr.evaluate(&rec, nil)
		return err
	}
	return nil
}

// required reports the first missing required field.
func (fr *familyRules) required(rec *parse.Record, isNew bool) error {
	if fr.h.RecordType == parse.FullRecord || isNew {
		for _, f := range []parse.Field{parse.FDateOfBirth, parse.FCoverageEffective} {
			if rec[f] == "" {
				return parse.FieldErrorf(f, "is required for a new member or a full record")
			}
		}
		if fr.h.FileType == parse.Participation && rec[parse.FPlanID] == "" {
			return parse.FieldErrorf(parse.FPlanID, "is required: a participation record enrolls in the plan elected")
		}
		for f := parse.Field(0); f < parse.NumFileFields; f++ {
			if fr.prof.Required[f] && rec[f] == "" {
				return parse.FieldErrorf(f, "is required by group %s's intake profile", fr.prof.Group)
			}
		}
	}
	return nil
}

// evaluate merges rec into cur (the member's last processed record, nil if
// none), derives class and plan by the file type, and returns the member's
// next record, the outcome and the activities it amounts to.
func (fr *familyRules) evaluate(rec, cur *parse.Record) (parse.Record, outcome, []string, error) {
	if err := fr.required(rec, cur == nil); err != nil {
		return parse.Record{}, 0, nil, err
	}
	next := fr.merge(rec, cur)
	if err := fr.prof.CheckRanges(&next); err != nil {
		return next, 0, nil, err
	}
	if eligible, err := fr.placeClass(rec, &next); err != nil || !eligible {
		if err == nil {
			return next, outIneligible, nil, nil
		}
		return next, 0, nil, err
	}
	if next[parse.FPlanID] == "" {
		return next, 0, nil, parse.FieldErrorf(parse.FPlanID, "no plan: give plan_id or a class with a plan")
	}
	if cur != nil && cur[parse.FPlanID] != "" && next[parse.FPlanID] != cur[parse.FPlanID] {
		fr.changePlan(rec, cur, &next)
	}
	if next[parse.FCoverageEnd] != "" && next[parse.FCoverageEnd] < next[parse.FCoverageEffective] {
		return next, 0, nil, parse.FieldErrorf(parse.FCoverageEnd, "%s is before coverage_effective %s", next[parse.FCoverageEnd], next[parse.FCoverageEffective])
	}
	if cur == nil {
		return next, outNew, newMemberActs(&next), nil
	}
	if next == *cur {
		return next, outUnchanged, nil, nil
	}
	return next, outChanged, activities(cur, &next), nil
}

// merge is the member's record after rec: rec itself when it is whole (a
// full file, or a new member), else cur with rec's given fields over it.
// The plan history is the member's own, never the file's.
func (fr *familyRules) merge(rec, cur *parse.Record) parse.Record {
	var next parse.Record
	if fr.h.RecordType == parse.FullRecord || cur == nil {
		next = *rec
	} else {
		next = *cur
		for f := parse.Field(0); f < parse.NumFileFields; f++ {
			if rec[f] != "" {
				next[f] = rec[f]
			}
		}
	}
	next[parse.FHistory] = ""
	if cur != nil {
		next[parse.FHistory] = cur[parse.FHistory]
	}
	return next
}

// placeClass sets next's class and plan as the file type says. It reports
// false, with no error, for a Population member no class rule takes.
func (fr *familyRules) placeClass(rec, next *parse.Record) (bool, error) {
	switch fr.h.FileType {
	case parse.Participation: // enroll as elected; class given or derived, no eligibility check
		if rec[parse.FClass] == "" {
			next[parse.FClass] = ""
			if c := fr.prof.ClassOf(next); c != nil {
				next[parse.FClass] = c.Name
			}
		}
		if len(fr.prof.Plans) > 0 && !fr.prof.Plans[next[parse.FPlanID]] {
			return true, parse.FieldErrorf(parse.FPlanID, "plan %s is not offered to group %s", next[parse.FPlanID], fr.prof.Group)
		}
	case parse.Eligibility: // class given, or derived; the class gives the plan
		c, err := fr.eligibleClass(rec, next)
		if err != nil {
			return true, err
		}
		next[parse.FClass], next[parse.FPlanID] = c.Name, c.Plan
	case parse.Population: // everyone: derive eligibility and class
		c := fr.prof.ClassOf(next)
		if c == nil {
			return false, nil
		}
		next[parse.FClass], next[parse.FPlanID] = c.Name, c.Plan
	}
	return true, nil
}

// eligibleClass is an Eligibility record's class: the one given, or the
// one the rules derive; a plan given must be the class's.
func (fr *familyRules) eligibleClass(rec, next *parse.Record) (*parse.Class, error) {
	var c *parse.Class
	if rec[parse.FClass] != "" {
		if c = fr.prof.ClassNamed(rec[parse.FClass]); c == nil {
			return nil, parse.FieldErrorf(parse.FClass, "class %s is not a class of group %s", rec[parse.FClass], fr.prof.Group)
		}
	} else if c = fr.prof.ClassOf(next); c == nil {
		return nil, parse.FieldErrorf(parse.FClass, "not eligible: no class rule of group %s matches", fr.prof.Group)
	}
	if rec[parse.FPlanID] != "" && rec[parse.FPlanID] != c.Plan {
		return nil, parse.FieldErrorf(parse.FPlanID, "plan %s differs from class %s's plan %s", rec[parse.FPlanID], c.Name, c.Plan)
	}
	return c, nil
}

// changePlan handles a plan change: the new coverage starts on its own
// date (as of the file when not given), and the old one ends the day
// before, kept in the member's plan history.
func (fr *familyRules) changePlan(rec, cur, next *parse.Record) {
	if rec[parse.FCoverageEffective] == "" {
		next[parse.FCoverageEffective] = fr.asOf.String()
	}
	if next[parse.FCoverageEffective] <= cur[parse.FCoverageEffective] {
		return
	}
	eff := domain.MustDate(next[parse.FCoverageEffective])
	end := eff.AddDays(-1).String()
	if cur[parse.FCoverageEnd] != "" && cur[parse.FCoverageEnd] < end {
		end = cur[parse.FCoverageEnd]
	}
	h := cur[parse.FPlanID] + ":" + cur[parse.FCoverageEffective] + ":" + end
	if next[parse.FHistory] != "" {
		h = next[parse.FHistory] + ";" + h
	}
	next[parse.FHistory] = h
	if rec[parse.FCoverageEnd] == "" {
		next[parse.FCoverageEnd] = ""
	}
}

// newMemberActs names the activities of a member's first record.
func newMemberActs(next *parse.Record) []string {
	acts := []string{ActMemberCreated, ActCoverageEnrolled}
	if next[parse.FPersonCode] != "001" {
		acts[0] = ActDependentAdded
	}
	if next[parse.FCoverageEnd] != "" {
		acts = append(acts, ActCoverageCancelled)
	}
	return acts
}

// activities names the changes from cur to next.
func activities(cur, next *parse.Record) []string {
	var acts []string
	if cur[parse.FClass] != next[parse.FClass] {
		acts = append(acts, ActClassChanged)
	}
	switch {
	case cur[parse.FPlanID] == "" && next[parse.FPlanID] != "":
		acts = append(acts, ActCoverageEnrolled)
	case cur[parse.FPlanID] != next[parse.FPlanID] || cur[parse.FCoverageEffective] != next[parse.FCoverageEffective]:
		acts = append(acts, ActCoverageChanged)
	}
	switch {
	case cur[parse.FCoverageEnd] == "" && next[parse.FCoverageEnd] != "":
		acts = append(acts, ActCoverageCancelled)
	case cur[parse.FCoverageEnd] != "" && next[parse.FCoverageEnd] == "":
		acts = append(acts, ActCoverageRestored)
	case cur[parse.FCoverageEnd] != next[parse.FCoverageEnd]:
		acts = append(acts, ActCoverageChanged)
	}
	for _, f := range []parse.Field{parse.FRelationship, parse.FDateOfBirth, parse.FGender, parse.FHoursWorked, parse.FUnion, parse.FManagement, parse.FSalary} {
		if cur[f] != next[f] {
			acts = append(acts, ActMemberUpdated)
			break
		}
	}
	if len(acts) == 0 { // history only
		acts = append(acts, ActCoverageChanged)
	}
	return acts
}

// Retro is a retroactive change: claims with dates of service from From on
// may be affected.
type Retro struct {
	CardholderID string      `json:"-"`
	PersonCode   string      `json:"-"`
	From         domain.Date `json:"from"`
	Reason       string      `json:"reason"`
	Plan         string      `json:"plan"` // the plan the member now has from From (none for a termination)
}

// retroOf returns the retroactive change from cur to next, if any: a
// termination or an enrollment (or plan change) dated before today.
func (fr *familyRules) retroOf(cur, next *parse.Record) *Retro {
	if next[parse.FCoverageEnd] != "" && (cur == nil || cur[parse.FCoverageEnd] == "" || next[parse.FCoverageEnd] < cur[parse.FCoverageEnd]) {
		end := domain.MustDate(next[parse.FCoverageEnd])
		if end.Before(fr.today) {
			return &Retro{From: end.AddDays(1), Reason: "coverage terminated as of " + end.String()}
		}
	}
	if cur != nil && (next[parse.FPlanID] != cur[parse.FPlanID] || next[parse.FCoverageEffective] < cur[parse.FCoverageEffective]) {
		eff := domain.MustDate(next[parse.FCoverageEffective])
		if eff.Before(fr.today) {
			return &Retro{From: eff, Plan: next[parse.FPlanID], Reason: "enrolled in plan " + next[parse.FPlanID] + " as of " + eff.String()}
		}
	}
	return nil
}

// coverages returns a member's coverages: the history, then the current one.
func coverages(rec *parse.Record) ([]coverage, error) {
	var out []coverage
	if rec[parse.FHistory] != "" {
		for _, h := range strings.Split(rec[parse.FHistory], ";") {
			parts := strings.Split(h, ":")
			if len(parts) != 3 {
				return nil, errors.New("bad coverage history")
			}
			out = append(out, coverage{parts[0], parts[1], parts[2]})
		}
	}
	if rec[parse.FPlanID] != "" {
		out = append(out, coverage{rec[parse.FPlanID], rec[parse.FCoverageEffective], rec[parse.FCoverageEnd]})
	}
	return out, nil
}

type coverage struct{ plan, eff, end string }

func (c coverage) rangeOf() (domain.Range, error) {
	var r domain.Range
	var err error
	if r.From, err = domain.ParseDate(c.eff); err != nil {
		return r, fmt.Errorf("coverage effective: %w", err)
	}
	if c.end != "" {
		if r.To, err = domain.ParseDate(c.end); err != nil {
			return r, fmt.Errorf("coverage end: %w", err)
		}
	}
	return r, nil
}
