package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/loader/state"

	"github.com/rxclaims/rxclaims/loader/parse"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// Catalog files: one row per drug price, pharmacy participation or network
// pricing term. Each row upserts into the record the loader holds for the
// drug, pharmacy or network, which is then synced whole.
var (
	drugColumns     = []string{"ndc", "name", "therapeutic_class", "multi_source_code", "awp", "mac", "effective", "attributes"}
	pharmacyColumns = []string{"npi", "name", "network", "network_type", "classification", "contract_id", "effective", "end", "attributes"}
	networkColumns  = []string{"network", "network_type", "brand_class", "awp_discount", "dispensing_fee"}
)

// PharmacyRecord is a pharmacy as the loader holds it: the adjudicator's
// record plus what only the loader keeps (classification and contract per
// participation).
type PharmacyRecord struct {
	domain.Pharmacy
	Contracts []Contract `json:"contracts"`
}

// Contract is a participation's contract terms, by network and effective date.
type Contract struct {
	Network        string             `json:"network"`
	NetworkType    domain.NetworkType `json:"network_type"`
	Classification string             `json:"classification"` // IN or OUT
	ContractID     string             `json:"contract_id"`
	Effective      domain.Date        `json:"effective"`
}

func required(cols []string, vals []string, names ...string) error {
	for _, n := range names {
		if vals[slices.Index(cols, n)] == "" {
			return fmt.Errorf("%s: is required", n)
		}
	}
	return nil
}

func col(cols, vals []string, name string) string { return vals[slices.Index(cols, name)] }

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

// loadCatalog reads the catalog record at key into dst and returns its
// stored form, nil when there is none yet.
func loadCatalog(c *chunk, key []byte, dst any) ([]byte, error) {
	before, err := state.Get(c.b, key)
	if err != nil || before == nil {
		return before, err
	}
	return before, json.Unmarshal(before, dst)
}

// catalogChange journals and writes one catalog record; unchanged records
// count as such and write nothing.
func (c *chunk) catalogChange(key []byte, before []byte, after any) error {
	data, err := json.Marshal(after)
	if err != nil {
		return err
	}
	switch {
	case before == nil:
		c.f.Counts.New++
	case bytes.Equal(before, data):
		c.f.Counts.Unchanged++
		return nil
	default:
		c.f.Counts.Changed++
	}
	e := &state.JournalEntry{Key: key, Activities: []string{"catalog_upserted"}, Before: before, After: data}
	if err := c.journal(e); err != nil {
		return err
	}
	c.touched[string(key)] = true
	return c.b.Set(key, data, nil)
}

type drugProc struct{ l *Loader }

func (drugProc) columns() []string { return drugColumns }

func (p drugProc) parse(vals []string) (string, domain.Drug, error) {
	var d domain.Drug
	if err := checkControl(drugColumns, vals); err != nil {
		return "", d, err
	}
	if err := required(drugColumns, vals, "ndc", "awp", "effective"); err != nil {
		return "", d, err
	}
	ndc, err := normNDC(col(drugColumns, vals, "ndc"))
	if err != nil {
		return "", d, err
	}
	d = domain.Drug{NDC: ndc, Name: col(drugColumns, vals, "name"), TherapeuticClass: col(drugColumns, vals, "therapeutic_class"),
		MultiSourceCode: strings.ToUpper(col(drugColumns, vals, "multi_source_code"))}
	if d.MultiSourceCode != "" {
		if _, err := domain.BrandClassOf(d.MultiSourceCode); err != nil {
			return "", d, fmt.Errorf("multi_source_code: %w", err)
		}
	}
	var price domain.DrugPrice
	if price.AWP, err = parseMoney("awp", col(drugColumns, vals, "awp"), false); err != nil {
		return "", d, err
	}
	if v := col(drugColumns, vals, "mac"); v != "" {
		if price.MAC, err = parseMoney("mac", v, true); err != nil {
			return "", d, err
		}
	}
	if price.Effective, err = parseDate("effective", col(drugColumns, vals, "effective")); err != nil {
		return "", d, err
	}
	d.Prices = []domain.DrugPrice{price}
	if d.Attributes, err = parseAttributes(col(drugColumns, vals, "attributes")); err != nil {
		return "", d, err
	}
	return ndc, d, nil
}

func (p drugProc) check(vals []string) error { _, _, err := p.parse(vals); return err }

func (p drugProc) apply(c *chunk, vals []string) error {
	ndc, row, err := p.parse(vals)
	if err != nil {
		return bad(err)
	}
	key := state.DrugKey(ndc)
	var d domain.Drug
	before, err := loadCatalog(c, key, &d)
	if err != nil {
		return err
	}
	d.NDC = ndc
	for _, s := range []struct {
		dst *string
		v   string
	}{{&d.Name, row.Name}, {&d.TherapeuticClass, row.TherapeuticClass}, {&d.MultiSourceCode, row.MultiSourceCode}} {
		if s.v != "" {
			*s.dst = s.v
		}
	}
	for k, v := range row.Attributes { // attributes a row names replace those of the record
		if d.Attributes == nil {
			d.Attributes = map[string]string{}
		}
		d.Attributes[k] = v
	}
	if d.Name == "" || d.MultiSourceCode == "" {
		return bad(fmt.Errorf("name and multi_source_code are required for a new drug"))
	}
	price := row.Prices[0]
	i := slices.IndexFunc(d.Prices, func(p domain.DrugPrice) bool { return p.Effective == price.Effective })
	if i >= 0 {
		d.Prices[i] = price
	} else {
		d.Prices = append(d.Prices, price)
		slices.SortFunc(d.Prices, func(a, b domain.DrugPrice) int { return a.Effective.Days() - b.Effective.Days() })
	}
	return c.catalogChange(key, before, &d)
}

func (drugProc) finish(context.Context, *FileStatus) error { return nil }

type pharmacyProc struct{ l *Loader }

func (pharmacyProc) columns() []string { return pharmacyColumns }

func (pharmacyProc) parse(vals []string) (Contract, string, domain.Range, error) {
	var ct Contract
	var r domain.Range
	if err := checkControl(pharmacyColumns, vals); err != nil {
		return ct, "", r, err
	}
	if err := required(pharmacyColumns, vals, "npi", "network", "network_type", "classification", "effective"); err != nil {
		return ct, "", r, err
	}
	npi := col(pharmacyColumns, vals, "npi")
	if !domain.ValidNPI(npi) {
		return ct, "", r, fmt.Errorf("npi: %q is not a valid NPI (10 digits, Luhn check digit)", npi)
	}
	ct.Network = strings.ToUpper(col(pharmacyColumns, vals, "network"))
	if !parse.IsCode(ct.Network, 1, 20) {
		return ct, "", r, fmt.Errorf("network: %q must be 1 to 20 letters, digits, '-' or '_'", ct.Network)
	}
	if err := ct.NetworkType.UnmarshalText([]byte(strings.ToUpper(col(pharmacyColumns, vals, "network_type")))); err != nil {
		return ct, "", r, fmt.Errorf("network_type: %w", err)
	}
	ct.Classification = strings.ToUpper(col(pharmacyColumns, vals, "classification"))
	if ct.Classification != "IN" && ct.Classification != "OUT" {
		return ct, "", r, fmt.Errorf("classification: %q must be IN or OUT", ct.Classification)
	}
	ct.ContractID = col(pharmacyColumns, vals, "contract_id")
	if _, err := parseAttributes(col(pharmacyColumns, vals, "attributes")); err != nil {
		return ct, "", r, err
	}
	var err error
	if r.From, err = parseDate("effective", col(pharmacyColumns, vals, "effective")); err != nil {
		return ct, "", r, err
	}
	if v := col(pharmacyColumns, vals, "end"); v != "" {
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

func (p pharmacyProc) check(vals []string) error { _, _, _, err := p.parse(vals); return err }

func (p pharmacyProc) apply(c *chunk, vals []string) error {
	ct, npi, r, err := p.parse(vals)
	if err != nil {
		return bad(err)
	}
	key := state.PharmacyKey(npi)
	var ph PharmacyRecord
	before, err := loadCatalog(c, key, &ph)
	if err != nil {
		return err
	}
	ph.NPI = npi
	if n := col(pharmacyColumns, vals, "name"); n != "" {
		ph.Name = n
	}
	attrs, err := parseAttributes(col(pharmacyColumns, vals, "attributes"))
	if err != nil {
		return bad(err)
	}
	for k, v := range attrs {
		if ph.Attributes == nil {
			ph.Attributes = map[string]string{}
		}
		ph.Attributes[k] = v
	}
	part := domain.Participation{Network: ct.Network, Range: r}
	i := slices.IndexFunc(ph.Participations, func(x domain.Participation) bool {
		return x.Network == ct.Network && x.From == r.From
	})
	if i >= 0 {
		ph.Participations[i] = part
		ph.Contracts[i] = ct
	} else {
		ph.Participations = append(ph.Participations, part)
		ph.Contracts = append(ph.Contracts, ct)
	}
	return c.catalogChange(key, before, &ph)
}

func (pharmacyProc) finish(context.Context, *FileStatus) error { return nil }

type networkProc struct{ l *Loader }

func (networkProc) columns() []string { return networkColumns }

func (networkProc) parse(vals []string) (domain.Network, error) {
	var n domain.Network
	if err := checkControl(networkColumns, vals); err != nil {
		return n, err
	}
	if err := required(networkColumns, vals, "network", "network_type", "awp_discount", "dispensing_fee"); err != nil {
		return n, err
	}
	n.ID = strings.ToUpper(col(networkColumns, vals, "network"))
	if !parse.IsCode(n.ID, 1, 20) {
		return n, fmt.Errorf("network: %q must be 1 to 20 letters, digits, '-' or '_'", n.ID)
	}
	if err := n.Type.UnmarshalText([]byte(strings.ToUpper(col(networkColumns, vals, "network_type")))); err != nil {
		return n, fmt.Errorf("network_type: %w", err)
	}
	var t domain.PricingTerm
	if v := strings.ToUpper(col(networkColumns, vals, "brand_class")); v != "" && v != "DEFAULT" {
		if err := t.BrandClass.UnmarshalText([]byte(v)); err != nil {
			return n, fmt.Errorf("brand_class: %w", err)
		}
	}
	var err error
	if t.AWPDiscount, err = parseMoney("awp_discount", col(networkColumns, vals, "awp_discount"), true); err != nil {
		return n, err
	}
	if t.AWPDiscount.GreaterThanOrEqual(decimal.NewFromInt(1)) {
		return n, fmt.Errorf("awp_discount: %s must be below 1 (0.15 is AWP less 15%%)", t.AWPDiscount)
	}
	if t.DispensingFee, err = parseMoney("dispensing_fee", col(networkColumns, vals, "dispensing_fee"), true); err != nil {
		return n, err
	}
	n.Pricing = []domain.PricingTerm{t}
	return n, nil
}

func (p networkProc) check(vals []string) error { _, err := p.parse(vals); return err }

func (p networkProc) apply(c *chunk, vals []string) error {
	row, err := p.parse(vals)
	if err != nil {
		return bad(err)
	}
	key := state.NetworkKey(row.ID)
	var n domain.Network
	before, err := loadCatalog(c, key, &n)
	if err != nil {
		return err
	}
	n.ID, n.Type = row.ID, row.Type
	t := row.Pricing[0]
	if i := slices.IndexFunc(n.Pricing, func(x domain.PricingTerm) bool { return x.BrandClass == t.BrandClass }); i >= 0 {
		n.Pricing[i] = t
	} else {
		n.Pricing = append(n.Pricing, t)
	}
	return c.catalogChange(key, before, &n)
}

func (networkProc) finish(context.Context, *FileStatus) error { return nil }

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

// catalogBatch reads the touched catalog records from r into a batch.
func catalogBatch(r state.Reader, touched map[string]bool) (*CatalogBatch, error) {
	keys := make([]string, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cb := &CatalogBatch{}
	for _, k := range keys {
		v, err := state.Get(r, []byte(k))
		if err != nil {
			return nil, err
		}
		if v == nil { // rewound away: the adjudicator keeps the record
			continue
		}
		switch k[0] {
		case 'd':
			err = decodeInto(v, &cb.Drugs, func(d domain.Drug) domain.Drug { return d })
		case 'p':
			err = decodeInto(v, &cb.Pharmacies, func(p PharmacyRecord) domain.Pharmacy { return p.Pharmacy })
		case 'n':
			err = decodeInto(v, &cb.Networks, func(n domain.Network) domain.Network { return n })
		case 's':
			err = decodeInto(v, &cb.Schedules, func(s ScheduleRecord) edits.Schedule { return s.Schedule })
		}
		if err != nil {
			return nil, err
		}
	}
	return cb, nil
}

// decodeInto decodes a stored record and appends what the adjudicator
// takes of it to *dst.
func decodeInto[R, T any](v []byte, dst *[]T, take func(R) T) error {
	var r R
	if err := json.Unmarshal(v, &r); err != nil {
		return err
	}
	*dst = append(*dst, take(r))
	return nil
}
