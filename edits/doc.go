// Package edits holds the plan rules ("edits"): the four families of kinds
// with their criteria and validation, the Draft -> Active -> Inactive
// lifecycle with maker-checker, the compiled index a claim looks its edits
// up in, accumulation settings, cost-share lines, and schedules with their
// adjustment rules.
//
// It depends only on the standard library, shopspring/decimal and the
// domain package (dates, network segments, brand classes).
package edits
