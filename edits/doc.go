// Package edits holds the benefit rule model: brand classes, network
// segments, effective dates, accumulation settings and the financial rules
// (deductible, out-of-pocket maximum, copay and coinsurance lines) that the
// adjudicator evaluates.
//
// It depends only on the standard library and shopspring/decimal.
package edits
