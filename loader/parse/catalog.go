package parse

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Catalog files: one row per drug price, pharmacy participation or network
// pricing term. Each row upserts into the record the loader holds for the
// drug, pharmacy or network, which is then synced whole.
var (
	DrugColumns     = []string{"ndc", "name", "therapeutic_class", "multi_source_code", "brand_generic", "generic_ndc", "awp", "mac", "effective", "attributes", "dea_schedule"}
	PharmacyColumns = []string{"npi", "name", "network", "network_type", "classification", "contract_id", "effective", "end", "attributes"}
	NetworkColumns  = []string{"network", "network_type", "brand_class", "awp_discount", "dispensing_fee"}
	// PrescriberColumns: one row is one whole prescriber, which it replaces.
	PrescriberColumns = []string{"npi", "name", "effective", "end", "excluded", "dea_number", "dea_schedules", "dea_expiration"}
)

// Contract is a participation's contract terms, by network and effective date.
type Contract struct {
	Network        string             `json:"network"`
	NetworkType    domain.NetworkType `json:"network_type"`
	Classification string             `json:"classification"` // IN or OUT
	ContractID     string             `json:"contract_id"`
	Effective      domain.Date        `json:"effective"`
}

// required reports the first of the named columns the row leaves empty.
func required(cols []string, vals []string, names ...string) error {
	for _, n := range names {
		if vals[slices.Index(cols, n)] == "" {
			return fmt.Errorf("%s: is required", n)
		}
	}
	return nil
}

// Col is the row's value in the named column.
func Col(cols, vals []string, name string) string { return vals[slices.Index(cols, name)] }

// parseMoney reads a column's non-negative amount, at most 5 decimal places.
func parseMoney(name, v string, allowZero bool) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(v)
	if err != nil {
		return d, fmt.Errorf("%s: %q is not a number", name, v)
	}
	if d.IsNegative() || (!allowZero && d.IsZero()) {
		return d, fmt.Errorf("%s: %s must be positive", name, v)
	}
	if d.Exponent() < -5 {
		return d, fmt.Errorf("%s: %s has more than 5 decimal places", name, v)
	}
	return d, nil
}

// parseDate reads a column's date.
func parseDate(name, v string) (domain.Date, error) {
	d, err := domain.ParseDate(v)
	if err != nil {
		return d, fmt.Errorf("%s: %q must be a date YYYY-MM-DD", name, v)
	}
	return d, nil
}

// normNDC accepts an NDC-11 with or without hyphens.
func normNDC(v string) (string, error) {
	n := strings.ReplaceAll(v, "-", "")
	if !domain.IsDigits(n, 11, 11) {
		return "", fmt.Errorf("ndc: %q must be 11 digits (NDC-11)", v)
	}
	return n, nil
}

// DrugRow reads a drug file row: the NDC and a drug with the row's one price.
func DrugRow(vals []string) (string, domain.Drug, error) {
	var d domain.Drug
	if err := checkControl(DrugColumns, vals); err != nil {
		return "", d, err
	}
	if err := required(DrugColumns, vals, "ndc", "awp", "effective"); err != nil {
		return "", d, err
	}
	ndc, err := normNDC(Col(DrugColumns, vals, "ndc"))
	if err != nil {
		return "", d, err
	}
	d = domain.Drug{NDC: ndc, Name: Col(DrugColumns, vals, "name"), TherapeuticClass: Col(DrugColumns, vals, "therapeutic_class"),
		MultiSourceCode: strings.ToUpper(Col(DrugColumns, vals, "multi_source_code")),
		BrandGeneric:    strings.ToUpper(Col(DrugColumns, vals, "brand_generic"))}
	if d.MultiSourceCode != "" {
		if _, err := domain.BrandClassOf(d.MultiSourceCode, ""); err != nil {
			return "", d, fmt.Errorf("multi_source_code: %w", err)
		}
	}
	if d.BrandGeneric != "" && d.BrandGeneric != domain.Brand && d.BrandGeneric != domain.Generic {
		return "", d, fmt.Errorf("brand_generic: %q must be B (brand) or G (generic)", d.BrandGeneric)
	}
	if v := Col(DrugColumns, vals, "generic_ndc"); v != "" {
		if d.GenericNDC = strings.ReplaceAll(v, "-", ""); !domain.IsDigits(d.GenericNDC, 11, 11) {
			return "", d, fmt.Errorf("generic_ndc: %q must be 11 digits (NDC-11)", v)
		}
		if d.GenericNDC == ndc {
			return "", d, fmt.Errorf("generic_ndc: %s is the drug's own NDC", v)
		}
	}
	if d.DEASchedule = strings.TrimPrefix(strings.ToUpper(Col(DrugColumns, vals, "dea_schedule")), "C"); d.DEASchedule != "" && !domain.ValidDEASchedule(d.DEASchedule) {
		return "", d, fmt.Errorf("dea_schedule: %q must be 2, 3, 4 or 5 (C2 to C5; empty: not controlled)", Col(DrugColumns, vals, "dea_schedule"))
	}
	var price domain.DrugPrice
	if price.AWP, err = parseMoney("awp", Col(DrugColumns, vals, "awp"), false); err != nil {
		return "", d, err
	}
	if v := Col(DrugColumns, vals, "mac"); v != "" {
		if price.MAC, err = parseMoney("mac", v, true); err != nil {
			return "", d, err
		}
	}
	if price.Effective, err = parseDate("effective", Col(DrugColumns, vals, "effective")); err != nil {
		return "", d, err
	}
	d.Prices = []domain.DrugPrice{price}
	if d.Attributes, err = Attributes(Col(DrugColumns, vals, "attributes")); err != nil {
		return "", d, err
	}
	return ndc, d, nil
}

// PharmacyRow reads a pharmacy file row: its participation's contract,
// the NPI and the participation's dates.
func PharmacyRow(vals []string) (Contract, string, domain.Range, error) {
	var ct Contract
	var r domain.Range
	if err := checkControl(PharmacyColumns, vals); err != nil {
		return ct, "", r, err
	}
	if err := required(PharmacyColumns, vals, "npi", "network", "network_type", "classification", "effective"); err != nil {
		return ct, "", r, err
	}
	npi := Col(PharmacyColumns, vals, "npi")
	if !domain.ValidNPI(npi) {
		return ct, "", r, fmt.Errorf("npi: %q is not a valid NPI (10 digits, Luhn check digit)", npi)
	}
	ct.Network = strings.ToUpper(Col(PharmacyColumns, vals, "network"))
	if !IsCode(ct.Network, 1, 20) {
		return ct, "", r, fmt.Errorf("network: %q must be 1 to 20 letters, digits, '-' or '_'", ct.Network)
	}
	if err := ct.NetworkType.UnmarshalText([]byte(strings.ToUpper(Col(PharmacyColumns, vals, "network_type")))); err != nil {
		return ct, "", r, fmt.Errorf("network_type: %w", err)
	}
	ct.Classification = strings.ToUpper(Col(PharmacyColumns, vals, "classification"))
	if ct.Classification != "IN" && ct.Classification != "OUT" {
		return ct, "", r, fmt.Errorf("classification: %q must be IN or OUT", ct.Classification)
	}
	ct.ContractID = Col(PharmacyColumns, vals, "contract_id")
	if _, err := Attributes(Col(PharmacyColumns, vals, "attributes")); err != nil {
		return ct, "", r, err
	}
	var err error
	if r.From, err = parseDate("effective", Col(PharmacyColumns, vals, "effective")); err != nil {
		return ct, "", r, err
	}
	if v := Col(PharmacyColumns, vals, "end"); v != "" {
		if r.To, err = parseDate("end", v); err != nil {
			return ct, "", r, err
		}
	}
	if err := r.Validate(); err != nil {
		return ct, "", r, err
	}
	ct.Effective = r.From
	return ct, npi, r, nil
}

// NetworkRow reads a network file row: a network with the row's one
// pricing term.
func NetworkRow(vals []string) (domain.Network, error) {
	var n domain.Network
	if err := checkControl(NetworkColumns, vals); err != nil {
		return n, err
	}
	if err := required(NetworkColumns, vals, "network", "network_type", "awp_discount", "dispensing_fee"); err != nil {
		return n, err
	}
	n.ID = strings.ToUpper(Col(NetworkColumns, vals, "network"))
	if !IsCode(n.ID, 1, 20) {
		return n, fmt.Errorf("network: %q must be 1 to 20 letters, digits, '-' or '_'", n.ID)
	}
	if err := n.Type.UnmarshalText([]byte(strings.ToUpper(Col(NetworkColumns, vals, "network_type")))); err != nil {
		return n, fmt.Errorf("network_type: %w", err)
	}
	var t domain.PricingTerm
	if v := strings.ToUpper(Col(NetworkColumns, vals, "brand_class")); v != "" && v != "DEFAULT" {
		if err := t.BrandClass.UnmarshalText([]byte(v)); err != nil {
			return n, fmt.Errorf("brand_class: %w", err)
		}
	}
	var err error
	if t.AWPDiscount, err = parseMoney("awp_discount", Col(NetworkColumns, vals, "awp_discount"), true); err != nil {
		return n, err
	}
	if t.AWPDiscount.GreaterThanOrEqual(decimal.NewFromInt(1)) {
		return n, fmt.Errorf("awp_discount: %s must be below 1 (0.15 is AWP less 15%%)", t.AWPDiscount)
	}
	if t.DispensingFee, err = parseMoney("dispensing_fee", Col(NetworkColumns, vals, "dispensing_fee"), true); err != nil {
		return n, err
	}
	n.Pricing = []domain.PricingTerm{t}
	return n, nil
}

// PrescriberRow reads a prescriber file row: the whole prescriber. The DEA
// schedules are a list such as "2;3;4;5" (a "C" before each is allowed);
// excluded is Y or N (empty: N).
func PrescriberRow(vals []string) (domain.Prescriber, error) {
	var p domain.Prescriber
	if err := checkControl(PrescriberColumns, vals); err != nil {
		return p, err
	}
	if err := required(PrescriberColumns, vals, "npi", "effective"); err != nil {
		return p, err
	}
	col := func(n string) string { return Col(PrescriberColumns, vals, n) }
	p.NPI, p.Name, p.DEA = col("npi"), col("name"), strings.ToUpper(col("dea_number"))
	if !domain.ValidNPI(p.NPI) {
		return p, fmt.Errorf("npi: %q is not a valid NPI (10 digits, Luhn check digit)", p.NPI)
	}
	var err error
	if p.From, err = parseDate("effective", col("effective")); err != nil {
		return p, err
	}
	if v := col("end"); v != "" {
		if p.To, err = parseDate("end", v); err != nil {
			return p, err
		}
	}
	switch strings.ToUpper(col("excluded")) {
	case "", "N":
	case "Y":
		p.Excluded = true
	default:
		return p, fmt.Errorf("excluded: %q must be Y or N", col("excluded"))
	}
	for _, s := range strings.Split(col("dea_schedules"), ";") {
		if s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "C"); s != "" {
			p.DEASchedules = append(p.DEASchedules, s)
		}
	}
	if v := col("dea_expiration"); v != "" {
		if p.DEAExpires, err = parseDate("dea_expiration", v); err != nil {
			return p, err
		}
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// checkControl bounds the length of each value and refuses control characters.
func checkControl(cols, vals []string) error {
	for i, v := range vals {
		limit := 64
		if cols[i] == "conditions" || cols[i] == "attributes" {
			limit = 400
		}
		if len(v) > limit {
			return fmt.Errorf("%s: is longer than %d characters", cols[i], limit)
		}
		for j := 0; j < len(v); j++ {
			if v[j] < 0x20 || v[j] == 0x7f {
				return fmt.Errorf("%s: holds a control character", cols[i])
			}
		}
	}
	return nil
}
