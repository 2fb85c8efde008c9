package loader

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
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

// familyColumns are the columns a family file may carry.
var familyColumns = fieldNames[:numFileFields]

// familyRules holds what a family file's records are checked against.
type familyRules struct {
	h     Header
	prof  *Resolved
	asOf  domain.Date // the date changes without their own date take effect
	today domain.Date
}

// toRecord builds a record from a row and checks its schema.
func toRecord(vals []string) (Record, error) {
	var rec Record
	copy(rec[:numFileFields], vals)
	if err := rec.checkSchema(); err != nil {
		return rec, err
	}
	if rec[FCardholderID] == "" {
		return rec, fieldErr(FCardholderID, "is required")
	}
	if rec[FPersonCode] == "" {
		return rec, fieldErr(FPersonCode, "is required")
	}
	return rec, nil
}

// checkStateless checks what does not depend on the loader's state: schema,
// ranges and, for full records, presence and class derivation.
func (fr *familyRules) checkStateless(vals []string) error {
	rec, err := toRecord(vals)
	if err != nil {
		return err
	}
	if err := fr.prof.checkRanges(&rec); err != nil {
		return err
	}
	if fr.h.RecordType == FullRecord {
		_, _, _, err := fr.evaluate(&rec, nil)
		return err
	}
	return nil
}

// required reports the first missing required field.
func (fr *familyRules) required(rec *Record, isNew bool) error {
	if fr.h.RecordType == FullRecord || isNew {
		for _, f := range []Field{FDateOfBirth, FCoverageEffective} {
			if rec[f] == "" {
				return fieldErr(f, "is required for a new member or a full record")
			}
		}
		if fr.h.FileType == Participation && rec[FPlanID] == "" {
			return fieldErr(FPlanID, "is required: a participation record enrolls in the plan elected")
		}
		for f := Field(0); f < numFileFields; f++ {
			if fr.prof.Required[f] && rec[f] == "" {
				return fieldErr(f, "is required by group %s's intake profile", fr.prof.Group)
			}
		}
	}
	return nil
}

// evaluate merges rec into cur (the member's last processed record, nil if
// none), derives class and plan by the file type, and returns the member's
// next record, the outcome and the activities it amounts to.
func (fr *familyRules) evaluate(rec, cur *Record) (Record, outcome, []string, error) {
	if err := fr.required(rec, cur == nil); err != nil {
		return Record{}, 0, nil, err
	}
	next := fr.merge(rec, cur)
	if err := fr.prof.checkRanges(&next); err != nil {
		return next, 0, nil, err
	}
	if eligible, err := fr.placeClass(rec, &next); err != nil || !eligible {
		if err == nil {
			return next, outIneligible, nil, nil
		}
		return next, 0, nil, err
	}
	if next[FPlanID] == "" {
		return next, 0, nil, fieldErr(FPlanID, "no plan: give plan_id or a class with a plan")
	}
	if cur != nil && cur[FPlanID] != "" && next[FPlanID] != cur[FPlanID] {
		fr.changePlan(rec, cur, &next)
	}
	if next[FCoverageEnd] != "" && next[FCoverageEnd] < next[FCoverageEffective] {
		return next, 0, nil, fieldErr(FCoverageEnd, "%s is before coverage_effective %s", next[FCoverageEnd], next[FCoverageEffective])
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
func (fr *familyRules) merge(rec, cur *Record) Record {
	var next Record
	if fr.h.RecordType == FullRecord || cur == nil {
		next = *rec
	} else {
		next = *cur
		for f := Field(0); f < numFileFields; f++ {
			if rec[f] != "" {
				next[f] = rec[f]
			}
		}
	}
	next[FHistory] = ""
	if cur != nil {
		next[FHistory] = cur[FHistory]
	}
	return next
}

// placeClass sets next's class and plan as the file type says. It reports
// false, with no error, for a Population member no class rule takes.
func (fr *familyRules) placeClass(rec, next *Record) (bool, error) {
	switch fr.h.FileType {
	case Participation: // enroll as elected; class given or derived, no eligibility check
		if rec[FClass] == "" {
			next[FClass] = ""
			if c := fr.prof.classOf(next); c != nil {
				next[FClass] = c.Name
			}
		}
		if len(fr.prof.Plans) > 0 && !fr.prof.Plans[next[FPlanID]] {
			return true, fieldErr(FPlanID, "plan %s is not offered to group %s", next[FPlanID], fr.prof.Group)
		}
	case Eligibility: // class given, or derived; the class gives the plan
		c, err := fr.eligibleClass(rec, next)
		if err != nil {
			return true, err
		}
		next[FClass], next[FPlanID] = c.Name, c.Plan
	case Population: // everyone: derive eligibility and class
		c := fr.prof.classOf(next)
		if c == nil {
			return false, nil
		}
		next[FClass], next[FPlanID] = c.Name, c.Plan
	}
	return true, nil
}

// eligibleClass is an Eligibility record's class: the one given, or the
// one the rules derive; a plan given must be the class's.
func (fr *familyRules) eligibleClass(rec, next *Record) (*Class, error) {
	var c *Class
	if rec[FClass] != "" {
		if c = fr.prof.className(rec[FClass]); c == nil {
			return nil, fieldErr(FClass, "class %s is not a class of group %s", rec[FClass], fr.prof.Group)
		}
	} else if c = fr.prof.classOf(next); c == nil {
		return nil, fieldErr(FClass, "not eligible: no class rule of group %s matches", fr.prof.Group)
	}
	if rec[FPlanID] != "" && rec[FPlanID] != c.Plan {
		return nil, fieldErr(FPlanID, "plan %s differs from class %s's plan %s", rec[FPlanID], c.Name, c.Plan)
	}
	return c, nil
}

// changePlan handles a plan change: the new coverage starts on its own
// date (as of the file when not given), and the old one ends the day
// before, kept in the member's plan history.
func (fr *familyRules) changePlan(rec, cur, next *Record) {
	if rec[FCoverageEffective] == "" {
		next[FCoverageEffective] = fr.asOf.String()
	}
	if next[FCoverageEffective] <= cur[FCoverageEffective] {
		return
	}
	eff := domain.MustDate(next[FCoverageEffective])
	end := eff.AddDays(-1).String()
	if cur[FCoverageEnd] != "" && cur[FCoverageEnd] < end {
		end = cur[FCoverageEnd]
	}
	h := cur[FPlanID] + ":" + cur[FCoverageEffective] + ":" + end
	if next[FHistory] != "" {
		h = next[FHistory] + ";" + h
	}
	next[FHistory] = h
	if rec[FCoverageEnd] == "" {
		next[FCoverageEnd] = ""
	}
}

// newMemberActs names the activities of a member's first record.
func newMemberActs(next *Record) []string {
	acts := []string{ActMemberCreated, ActCoverageEnrolled}
	if next[FPersonCode] != "001" {
		acts[0] = ActDependentAdded
	}
	if next[FCoverageEnd] != "" {
		acts = append(acts, ActCoverageCancelled)
	}
	return acts
}

// activities names the changes from cur to next.
func activities(cur, next *Record) []string {
	var acts []string
	if cur[FClass] != next[FClass] {
		acts = append(acts, ActClassChanged)
	}
	switch {
	case cur[FPlanID] == "" && next[FPlanID] != "":
		acts = append(acts, ActCoverageEnrolled)
	case cur[FPlanID] != next[FPlanID] || cur[FCoverageEffective] != next[FCoverageEffective]:
		acts = append(acts, ActCoverageChanged)
	}
	switch {
	case cur[FCoverageEnd] == "" && next[FCoverageEnd] != "":
		acts = append(acts, ActCoverageCancelled)
	case cur[FCoverageEnd] != "" && next[FCoverageEnd] == "":
		acts = append(acts, ActCoverageRestored)
	case cur[FCoverageEnd] != next[FCoverageEnd]:
		acts = append(acts, ActCoverageChanged)
	}
	for _, f := range []Field{FRelationship, FDateOfBirth, FGender, FHoursWorked, FUnion, FManagement, FSalary} {
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
func (fr *familyRules) retroOf(cur, next *Record) *Retro {
	if next[FCoverageEnd] != "" && (cur == nil || cur[FCoverageEnd] == "" || next[FCoverageEnd] < cur[FCoverageEnd]) {
		end := domain.MustDate(next[FCoverageEnd])
		if end.Before(fr.today) {
			return &Retro{From: end.AddDays(1), Reason: "coverage terminated as of " + end.String()}
		}
	}
	if cur != nil && (next[FPlanID] != cur[FPlanID] || next[FCoverageEffective] < cur[FCoverageEffective]) {
		eff := domain.MustDate(next[FCoverageEffective])
		if eff.Before(fr.today) {
			return &Retro{From: eff, Plan: next[FPlanID], Reason: "enrolled in plan " + next[FPlanID] + " as of " + eff.String()}
		}
	}
	return nil
}

// coverages returns a member's coverages: the history, then the current one.
func coverages(rec *Record) ([]coverage, error) {
	var out []coverage
	if rec[FHistory] != "" {
		for _, h := range strings.Split(rec[FHistory], ";") {
			parts := strings.Split(h, ":")
			if len(parts) != 3 {
				return nil, errors.New("bad coverage history")
			}
			out = append(out, coverage{parts[0], parts[1], parts[2]})
		}
	}
	if rec[FPlanID] != "" {
		out = append(out, coverage{rec[FPlanID], rec[FCoverageEffective], rec[FCoverageEnd]})
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
