package edits

import (
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
)

// ScheduleColumns are the claim facts a schedule column may name. The
// engine reads each from the claim under adjudication; drug and pharmacy
// attributes ("drug.<name>", "pharmacy.<name>") are facts too, so a new
// column over a new attribute is data in the catalog and the schedule.
var ScheduleColumns = []string{
	"network", "network_type", "network_class", "pharmacy", "ndc", "drug_class",
	"multi_source_code", "brand_class", "tier", "days_supply", "quantity",
	"fill_number", "daw", "plan", "group", "client", "age", "gender",
}

// Attribute namespaces a schedule column may read.
const (
	DrugAttributePrefix     = "drug."
	PharmacyAttributePrefix = "pharmacy."
)

// IsScheduleColumn reports whether a schedule column names a claim fact.
func IsScheduleColumn(name string) bool {
	if slices.Contains(ScheduleColumns, name) {
		return true
	}
	for _, ns := range []string{DrugAttributePrefix, PharmacyAttributePrefix} {
		if a, ok := strings.CutPrefix(name, ns); ok && domain.ValidAttributeName(a) {
			return true
		}
	}
	return false
}
