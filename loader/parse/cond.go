package parse

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Condition tests one named value of a record: a column of a class rule or
// a schedule line. Adding a column is data: any name the facts carry can be
// tested.
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"` // =, !=, <, <=, >, >=, in; default =
	Value string `json:"value"`
}

// Facts are the named values a condition reads.
type Facts interface {
	Fact(name string) (string, bool)
}

// MapFacts is Facts over a map.
type MapFacts map[string]string

// Fact implements Facts.
func (m MapFacts) Fact(name string) (string, bool) { v, ok := m[name]; return v, ok }

var ops = []string{"=", "!=", "<", "<=", ">", ">=", "in"}

// Validate checks the condition; known, when not nil, lists the names it may test.
func (c Condition) Validate(known func(string) bool) error {
	if c.Field == "" {
		return fmt.Errorf("condition without field")
	}
	if known != nil && !known(c.Field) {
		return fmt.Errorf("condition on unknown field %q", c.Field)
	}
	op := c.op()
	if indexOf(ops, op) < 0 {
		return fmt.Errorf("condition on %s: unknown op %q", c.Field, c.Op)
	}
	switch op {
	case "<", "<=", ">", ">=":
		if _, err := decimal.NewFromString(c.Value); err != nil {
			return fmt.Errorf("condition on %s: %s needs a number, not %q", c.Field, op, c.Value)
		}
	}
	return nil
}

func (c Condition) op() string {
	if c.Op == "" {
		return "="
	}
	return c.Op
}

// Match reports whether f satisfies the condition. A missing value matches
// only != .
func (c Condition) Match(f Facts) bool {
	v, ok := f.Fact(c.Field)
	if !ok || v == "" {
		return c.op() == "!="
	}
	switch op := c.op(); op {
	case "=":
		return strings.EqualFold(v, c.Value)
	case "!=":
		return !strings.EqualFold(v, c.Value)
	case "in":
		for _, w := range strings.Split(c.Value, ",") {
			if strings.EqualFold(strings.TrimSpace(w), v) {
				return true
			}
		}
		return false
	default:
		a, err1 := decimal.NewFromString(v)
		b, err2 := decimal.NewFromString(c.Value)
		if err1 != nil || err2 != nil {
			return false
		}
		cmp := a.Cmp(b)
		switch op {
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		case ">=":
			return cmp >= 0
		}
	}
	return false
}

// MatchAll reports whether every condition matches.
func MatchAll(conds []Condition, f Facts) bool {
	for _, c := range conds {
		if !c.Match(f) {
			return false
		}
	}
	return true
}
