package parse

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
)

// PriorAuthColumns are the columns of a prior authorization file
// (kind=prior_auth): one row per prior authorization, keyed by cardholder
// ID, person code and number, which replaces the record the loader holds
// for that key and is synced whole. A PA ends by its termination date;
// rows never delete one.
var PriorAuthColumns = []string{"cardholder_id", "person_code", "number", "type", "ndc", "class_prefix",
	"effective", "termination", "max_quantity", "max_days_supply", "tier", "max_fills", "max_total_quantity", "note"}

// PriorAuthRow reads a prior authorization file row and checks it on its
// own (that the member exists the adjudicator checks). Errors name the
// column, never the cardholder ID.
func PriorAuthRow(vals []string) (domain.PriorAuth, error) {
	var p domain.PriorAuth
	if err := checkControl(PriorAuthColumns, vals); err != nil {
		return p, err
	}
	if err := required(PriorAuthColumns, vals, "cardholder_id", "person_code", "number", "effective"); err != nil {
		return p, err
	}
	col := func(name string) string { return Col(PriorAuthColumns, vals, name) }
	p.CardholderID, p.PersonCode, p.Number = col("cardholder_id"), col("person_code"), col("number")
	p.Type = domain.PriorAuthType(strings.ToUpper(col("type")))
	if p.Type == "" {
		p.Type = domain.PADrug
	}
	p.ClassPrefix, p.Note = col("class_prefix"), col("note")
	var err error
	if v := col("ndc"); v != "" {
		if p.NDC, err = normNDC(v); err != nil {
			return p, err
		}
	}
	if p.From, err = parseDate("effective", col("effective")); err != nil {
		return p, err
	}
	if v := col("termination"); v != "" {
		if p.To, err = parseDate("termination", v); err != nil {
			return p, err
		}
	}
	for _, q := range []struct {
		name string
		dst  *int
	}{{"max_days_supply", &p.MaxDaysSupply}, {"tier", &p.Tier}, {"max_fills", &p.MaxFills}} {
		if v := col(q.name); v != "" {
			if *q.dst, err = strconv.Atoi(v); err != nil || *q.dst < 0 || *q.dst > 9999 {
				return p, fmt.Errorf("%s: %q must be a whole number from 0 to 9999", q.name, v)
			}
		}
	}
	if v := col("max_quantity"); v != "" {
		if p.MaxQuantity, err = parseMoney("max_quantity", v, false); err != nil {
			return p, err
		}
	}
	if v := col("max_total_quantity"); v != "" {
		if p.MaxTotalQuantity, err = parseMoney("max_total_quantity", v, false); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}
