package records

import (
	"strconv"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/shopspring/decimal"
)

// decodeHistoryFast reads an entry in the exact layout EncodeHistory
// writes (json.Marshal of adjudicator.HistoryEntry: its fields in order,
// no spaces, plain ASCII strings) without encoding/json's reflection,
// which was most of the CPU of a dry run's scan of the histories; ok is
// false for anything else (escapes, other spellings, errors), which
// DecodeHistory then reads with encoding/json. Its strings are cut from
// one copy of b. FuzzDecodeHistory checks it against encoding/json.
func decodeHistoryFast(b []byte) (h adjudicator.HistoryEntry, ok bool) {
	p := jsonParser{s: string(b), ok: true}
	var dos, qty, paid, typ, class string
	p.lit(`{"claim_id":`)
	h.ClaimID = p.str()
	p.lit(`,"date_of_service":`)
	dos = p.str()
	if p.opt(`,"pharmacy_npi":`) {
		h.PharmacyNPI = p.str()
	}
	if p.opt(`,"rx_number":`) {
		h.RxNumber = p.str()
	}
	p.lit(`,"ndc":`)
	h.NDC = p.str()
	p.lit(`,"class":`)
	h.Class = p.str()
	p.lit(`,"days_supply":`)
	h.DaysSupply = p.int()
	p.lit(`,"quantity":`)
	qty = p.str()
	p.lit(`,"plan_paid":`)
	paid = p.str()
	p.lit(`,"segment":{"Type":`)
	typ = p.str()
	p.lit(`,"Class":`)
	class = p.str()
	p.lit(`}`)
	if p.opt(`,"buckets":`) {
		h.Buckets = p.strs()
	}
	if p.opt(`,"prior_authorizations":`) {
		h.PriorAuths = p.strs()
	}
	p.lit(`}`)
	if !p.ok || len(p.s) != p.pos {
		return h, false
	}
	var err [5]error
	err[0] = h.DateOfService.UnmarshalText([]byte(dos))
	h.Quantity, err[1] = decimal.NewFromString(qty)
	h.PlanPaid, err[2] = decimal.NewFromString(paid)
	err[3] = h.Segment.Type.UnmarshalText([]byte(typ))
	err[4] = h.Segment.Class.UnmarshalText([]byte(class))
	for _, e := range err {
		if e != nil {
			return h, false
		}
	}
	return h, true
}

// jsonParser reads s from pos on; ok turns false at the first thing it
// does not expect, and every read after that is a no-op.
type jsonParser struct {
	s   string
	pos int
	ok  bool
}

// lit reads the literal text l.
func (p *jsonParser) lit(l string) {
	if !p.ok || len(p.s)-p.pos < len(l) || p.s[p.pos:p.pos+len(l)] != l {
		p.ok = false
		return
	}
	p.pos += len(l)
}

// opt reads the literal text l if it comes next.
func (p *jsonParser) opt(l string) bool {
	if !p.ok || len(p.s)-p.pos < len(l) || p.s[p.pos:p.pos+len(l)] != l {
		return false
	}
	p.pos += len(l)
	return true
}

// str reads a string of printable ASCII without escapes.
func (p *jsonParser) str() string {
	p.lit(`"`)
	start := p.pos
	for p.ok && p.pos < len(p.s) && p.s[p.pos] != '"' {
		if c := p.s[p.pos]; c < 0x20 || c > 0x7e || c == '\\' {
			p.ok = false
		}
		p.pos++
	}
	v := p.s[start:min(p.pos, len(p.s))]
	p.lit(`"`)
	return v
}

// strs reads an array of such strings, at least one (json.Marshal leaves
// out an empty one: omitempty).
func (p *jsonParser) strs() []string {
	p.lit(`[`)
	var out []string
	for p.ok {
		out = append(out, p.str())
		if !p.opt(`,`) {
			break
		}
	}
	p.lit(`]`)
	return out
}

// int reads an integer as JSON writes one: no leading zero, no sign but
// minus, at most 18 digits (so it fits any int).
func (p *jsonParser) int() int {
	start := p.pos
	if p.ok && p.pos < len(p.s) && p.s[p.pos] == '-' {
		p.pos++
	}
	digits := p.pos
	for p.ok && p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	n := p.pos - digits
	if !p.ok || n == 0 || n > 18 || n > 1 && p.s[digits] == '0' {
		p.ok = false
		return 0
	}
	v, err := strconv.Atoi(p.s[start:p.pos])
	if err != nil {
		p.ok = false
	}
	return v
}
