package parse

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/shopspring/decimal"
)

// Profiles is the loader's configuration of groups: the intake profile of
// each group and the hierarchy they sit in (client → group → subgroup).
// A setting given on a node applies to every node below it unless a lower
// node sets it again.
type Profiles struct {
	Groups []Profile `json:"groups"`
}

// Profile is a node of the group hierarchy and its intake settings. Nil or
// empty settings inherit from the parent.
type Profile struct {
	ID     string `json:"id"`
	Parent string `json:"parent,omitempty"`
	// Required lists the fields a record must give (on a changes-only
	// record for a member not yet known, and on every full record).
	Required []string `json:"required,omitempty"`
	// Ranges bound numeric fields.
	Ranges map[string]Bounds `json:"ranges,omitempty"`
	// Classes derive a member's class, and the plan it is eligible for,
	// from the record: the first class whose conditions all match.
	Classes []Class `json:"classes,omitempty"`
	// Comparator compares each record with the member's last processed
	// record, so unchanged records change nothing; off, every record of a
	// known member is applied as a change.
	Comparator *bool `json:"comparator,omitempty"`
	// CancelMissing cancels the coverage of members missing from a full file.
	CancelMissing *bool `json:"cancel_missing,omitempty"`
	// Plans lists the plans a Participation record may elect; empty allows
	// the plans of the classes.
	Plans []string `json:"plans,omitempty"`
	// Pend lists the rules that hold a member policy change for review:
	// a change any rule matches is stored as a pending copy and reaches
	// the adjudicator only once an operator approves it. Absent inherits;
	// an empty list (pend: []) clears the parent's rules.
	Pend []PendRule `json:"pend,omitempty"`
	// SelfApprove lets the user who made a manual change approve it
	// (maker-checker off); default off.
	SelfApprove *bool `json:"self_approve,omitempty"`
}

// PendRule pends a policy change whose facts match every condition: the
// record's fields, as class rules read them, and the change facts
// (changeFacts) comparing the copy with the active version.
type PendRule struct {
	Name string      `json:"name"`
	When []Condition `json:"when,omitempty"`
}

// Bounds is an inclusive numeric range; an empty end is open.
type Bounds struct {
	Min string `json:"min,omitempty"`
	Max string `json:"max,omitempty"`
}

// Class is an eligibility class and the rule that places a member in it.
type Class struct {
	Name string      `json:"name"`
	Plan string      `json:"plan"`
	When []Condition `json:"when,omitempty"`
}

// Resolved is a group's effective profile, after inheritance.
type Resolved struct {
	Group         string
	Path          []string // root first
	Required      [NumFields]bool
	Ranges        map[Field][2]*decimal.Decimal
	Classes       []Class
	Comparator    bool
	CancelMissing bool
	Plans         map[string]bool
	Pend          []PendRule
	SelfApprove   bool
}

// ParseProfiles parses (YAML or JSON; an unknown field is an error, and
// errors give the line and column) and validates profiles.
func ParseProfiles(b []byte) (*Profiles, error) {
	var p Profiles
	if err := unmarshalYAML(b, &p, yaml.Strict(), yaml.UseJSONUnmarshaler()); err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// unmarshalYAML is yaml.UnmarshalWithOptions on a document within the
// bounds (checkYAMLBounds), with a panic of the YAML library returned as
// an error: goccy/go-yaml v1.19.2 dereferences nil on some malformed input
// (a tag with no value under a key, found by FuzzParseProfiles).
func unmarshalYAML(b []byte, v any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	if err := checkYAMLBounds(b); err != nil {
		return err
	}
	return yaml.UnmarshalWithOptions(b, v, opts...)
}

func (p *Profiles) byID(id string) *Profile {
	for i := range p.Groups {
		if p.Groups[i].ID == id {
			return &p.Groups[i]
		}
	}
	return nil
}

// Validate checks every node and that the hierarchy has no cycle.
func (p *Profiles) Validate() error {
	seen := map[string]bool{}
	for i := range p.Groups {
		g := &p.Groups[i]
		g.ID = strings.ToUpper(g.ID)
		g.Parent = strings.ToUpper(g.Parent)
		if !IsCode(g.ID, 1, 20) {
			return fmt.Errorf("profiles: group id %q must be 1 to 20 letters, digits, '-' or '_'", g.ID)
		}
		if seen[g.ID] {
			return fmt.Errorf("profiles: group %s appears twice", g.ID)
		}
		seen[g.ID] = true
		if err := g.validate(); err != nil {
			return fmt.Errorf("profiles: group %s: %w", g.ID, err)
		}
	}
	for i := range p.Groups {
		if _, err := p.Resolve(p.Groups[i].ID); err != nil {
			return err
		}
	}
	return nil
}

// KnownField reports whether name is a family record column.
func KnownField(name string) bool { _, ok := FieldByName(name); return ok }

func (g *Profile) validate() error {
	for _, f := range g.Required {
		if !KnownField(f) {
			return fmt.Errorf("required: unknown field %q", f)
		}
	}
	for f, b := range g.Ranges {
		if fl, ok := FieldByName(f); !ok || (fl != FHoursWorked && fl != FSalary) {
			return fmt.Errorf("ranges: %q is not a numeric field (hours_worked, salary)", f)
		}
		for _, v := range []string{b.Min, b.Max} {
			if v == "" {
				continue
			}
			if _, err := decimal.NewFromString(v); err != nil {
				return fmt.Errorf("ranges: %s: %q is not a number", f, v)
			}
		}
	}
	names := map[string]bool{}
	for i := range g.Classes {
		c := &g.Classes[i]
		c.Name, c.Plan = strings.ToUpper(c.Name), strings.ToUpper(c.Plan)
		if !IsCode(c.Name, 1, 20) || !IsCode(c.Plan, 1, 20) {
			return fmt.Errorf("class %d: name and plan must be 1 to 20 letters, digits, '-' or '_'", i+1)
		}
		if err := checkRule("class", c.Name, c.When, names, KnownField); err != nil {
			return err
		}
	}
	for i, pl := range g.Plans {
		g.Plans[i] = strings.ToUpper(pl)
	}
	return validatePend(g.Pend)
}

// checkRule checks that a rule's name is not among seen (and adds it) and
// that its conditions test known facts.
func checkRule(kind, name string, when []Condition, seen map[string]bool, known func(string) bool) error {
	if seen[name] {
		return fmt.Errorf("%s %s appears twice", kind, name)
	}
	seen[name] = true
	for _, cond := range when {
		if err := cond.Validate(known); err != nil {
			return fmt.Errorf("%s %s: %w", kind, name, err)
		}
	}
	return nil
}

// validatePend checks pend rules: named once each, on known facts.
func validatePend(rules []PendRule) error {
	names := map[string]bool{}
	for i, r := range rules {
		if !IsCode(r.Name, 1, 40) {
			return fmt.Errorf("pend rule %d: name must be 1 to 40 letters, digits, '-' or '_'", i+1)
		}
		if err := checkRule("pend rule", r.Name, r.When, names, knownPendFact); err != nil {
			return err
		}
	}
	return nil
}

// Resolve returns a group's effective profile: each setting from the
// nearest node, the group itself first, that sets it.
func (p *Profiles) Resolve(group string) (*Resolved, error) {
	var chain []*Profile
	for id := group; id != ""; {
		g := p.byID(id)
		if g == nil {
			if id == group {
				return nil, fmt.Errorf("group %s has no intake profile", group)
			}
			return nil, fmt.Errorf("profiles: group %s names unknown parent %s", chain[len(chain)-1].ID, id)
		}
		for _, c := range chain {
			if c == g {
				return nil, fmt.Errorf("profiles: group %s is its own ancestor", id)
			}
		}
		chain = append(chain, g)
		id = g.Parent
	}
	r := &Resolved{Group: group, Ranges: map[Field][2]*decimal.Decimal{}, Plans: map[string]bool{}}
	for i := len(chain) - 1; i >= 0; i-- { // root first; lower nodes override
		g := chain[i]
		r.Path = append(r.Path, g.ID)
		if len(g.Required) > 0 {
			r.Required = [NumFields]bool{}
			for _, f := range g.Required {
				fl, _ := FieldByName(f)
				r.Required[fl] = true
			}
		}
		for f, b := range g.Ranges {
			fl, _ := FieldByName(f)
			var rg [2]*decimal.Decimal
			for j, v := range []string{b.Min, b.Max} {
				if v != "" {
					d := decimal.RequireFromString(v)
					rg[j] = &d
				}
			}
			r.Ranges[fl] = rg
		}
		if len(g.Classes) > 0 {
			r.Classes = g.Classes
		}
		if g.Comparator != nil {
			r.Comparator = *g.Comparator
		}
		if g.CancelMissing != nil {
			r.CancelMissing = *g.CancelMissing
		}
		if g.Pend != nil {
			r.Pend = g.Pend
		}
		if g.SelfApprove != nil {
			r.SelfApprove = *g.SelfApprove
		}
		if len(g.Plans) > 0 {
			r.Plans = map[string]bool{}
			for _, pl := range g.Plans {
				r.Plans[pl] = true
			}
		}
	}
	if len(r.Plans) == 0 {
		for _, c := range r.Classes {
			r.Plans[c.Plan] = true
		}
	}
	return r, nil
}

// RecordFacts exposes a record's fields to conditions by column name.
type RecordFacts struct{ R *Record }

// Fact implements Facts.
func (f RecordFacts) Fact(name string) (string, bool) {
	fl, ok := FieldByName(name)
	if !ok {
		return "", false
	}
	return f.R[fl], true
}

// ClassOf derives the class of a record, or nil when none applies.
func (r *Resolved) ClassOf(rec *Record) *Class {
	for i := range r.Classes {
		if MatchAll(r.Classes[i].When, RecordFacts{R: rec}) {
			return &r.Classes[i]
		}
	}
	return nil
}

// ClassNamed returns the class with the given name, or nil.
func (r *Resolved) ClassNamed(name string) *Class {
	for i := range r.Classes {
		if r.Classes[i].Name == name {
			return &r.Classes[i]
		}
	}
	return nil
}

// CheckRanges checks the numeric fields against the profile's bounds.
func (r *Resolved) CheckRanges(rec *Record) error {
	for f, b := range r.Ranges {
		if rec[f] == "" {
			continue
		}
		v, err := decimal.NewFromString(rec[f])
		if err != nil {
			return FieldErrorf(f, "must be a number")
		}
		if b[0] != nil && v.LessThan(*b[0]) {
			return FieldErrorf(f, "%s is below the group's minimum %s", v, b[0])
		}
		if b[1] != nil && v.GreaterThan(*b[1]) {
			return FieldErrorf(f, "%s is above the group's maximum %s", v, b[1])
		}
	}
	return nil
}

// ChangeFacts are the names of the facts, named change.*, that pend rules
// read beside the record's fields. The loader computes them (changeFacts in
// loader/policy.go) from the active version and the copy; a new fact is its
// name here and its test there.
var ChangeFacts = []string{
	"change.new_family",
	"change.new_member",
	"change.dependent_added",
	"change.dependent_removed",
	"change.plan",
	"change.class",
	"change.cancelled",
	"change.reinstated",
	"change.retro",
	"change.manual",
}

// knownPendFact reports whether a pend rule may test the name: a record
// field or a change fact.
func knownPendFact(name string) bool {
	return KnownField(name) || slices.Contains(ChangeFacts, name)
}
