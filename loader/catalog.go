package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// PharmacyRecord is a pharmacy as the loader holds it: the adjudicator's
// record plus what only the loader keeps (classification and contract per
// participation).
type PharmacyRecord struct {
	domain.Pharmacy
	Contracts []parse.Contract `json:"contracts"`
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

func (drugProc) columns() []string { return parse.DrugColumns }

func (drugProc) check(vals []string) error { _, _, err := parse.DrugRow(vals); return err }

func (drugProc) apply(c *chunk, vals []string) error {
	ndc, row, err := parse.DrugRow(vals)
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
	}{{&d.Name, row.Name}, {&d.TherapeuticClass, row.TherapeuticClass}, {&d.MultiSourceCode, row.MultiSourceCode},
		{&d.BrandGeneric, row.BrandGeneric}, {&d.GenericNDC, row.GenericNDC}, {&d.DEASchedule, row.DEASchedule}} {
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

func (pharmacyProc) columns() []string { return parse.PharmacyColumns }

func (pharmacyProc) check(vals []string) error { _, _, _, err := parse.PharmacyRow(vals); return err }

func (pharmacyProc) apply(c *chunk, vals []string) error {
	ct, npi, r, err := parse.PharmacyRow(vals)
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
	if n := parse.Col(parse.PharmacyColumns, vals, "name"); n != "" {
		ph.Name = n
	}
	attrs, err := parse.Attributes(parse.Col(parse.PharmacyColumns, vals, "attributes"))
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

func (networkProc) columns() []string { return parse.NetworkColumns }

func (networkProc) check(vals []string) error { _, err := parse.NetworkRow(vals); return err }

func (networkProc) apply(c *chunk, vals []string) error {
	row, err := parse.NetworkRow(vals)
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

type prescriberProc struct{ l *Loader }

func (prescriberProc) columns() []string { return parse.PrescriberColumns }

func (prescriberProc) check(vals []string) error { _, err := parse.PrescriberRow(vals); return err }

// apply replaces the prescriber whole: the file says all the loader knows
// of a prescriber, so a row leaves nothing of what an earlier one said.
func (prescriberProc) apply(c *chunk, vals []string) error {
	p, err := parse.PrescriberRow(vals)
	if err != nil {
		return bad(err)
	}
	key := state.PrescriberKey(p.NPI)
	before, err := state.Get(c.b, key)
	if err != nil {
		return err
	}
	return c.catalogChange(key, before, &p)
}

func (prescriberProc) finish(context.Context, *FileStatus) error { return nil }

type priorAuthProc struct{ l *Loader }

func (priorAuthProc) columns() []string { return parse.PriorAuthColumns }

func (priorAuthProc) check(vals []string) error { _, err := parse.PriorAuthRow(vals); return err }

// apply replaces the loader's record of the row's prior authorization.
func (priorAuthProc) apply(c *chunk, vals []string) error {
	pa, err := parse.PriorAuthRow(vals)
	if err != nil {
		return bad(err)
	}
	key := state.PriorAuthKey(pa.CardholderID, pa.PersonCode, pa.Number)
	var old domain.PriorAuth
	before, err := loadCatalog(c, key, &old)
	if err != nil {
		return err
	}
	return c.catalogChange(key, before, &pa)
}

func (priorAuthProc) finish(context.Context, *FileStatus) error { return nil }

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
		switch {
		case strings.HasPrefix(k, state.PrescriberPrefix):
			err = decodeInto(v, &cb.Prescribers, func(p domain.Prescriber) domain.Prescriber { return p })
		case k[0] == 'd':
			err = decodeInto(v, &cb.Drugs, func(d domain.Drug) domain.Drug { return d })
		case k[0] == 'p':
			err = decodeInto(v, &cb.Pharmacies, func(p PharmacyRecord) domain.Pharmacy { return p.Pharmacy })
		case k[0] == 'n':
			err = decodeInto(v, &cb.Networks, func(n domain.Network) domain.Network { return n })
		case k[0] == 's':
			err = decodeInto(v, &cb.Schedules, func(s ScheduleRecord) edits.Schedule { return s.Schedule })
		case k[0] == 'q':
			err = decodeInto(v, &cb.PriorAuths, func(p domain.PriorAuth) domain.PriorAuth { return p })
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
