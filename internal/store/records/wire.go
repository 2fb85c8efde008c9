package records

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	storev1 "github.com/rxclaims/rxclaims/proto/rxclaims/store/v1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// DecodeClaimWithoutTrace reads a record written by EncodeClaim, leaving
// out its response's trace (adjudicator.ClaimBatchReader: a dry run reads
// every claim of its selection this way). It reads the wire format itself
// instead of through the generated messages, which made a copy of every
// string and a message per part, then a second conversion: about half of
// the CPU of decoding a record for a dry run. Every string is cut from one
// copy of the record. It reads what DecodeClaim reads, the trace aside,
// with the protobuf rules the generated code follows: a field of an
// unexpected wire type is skipped as unknown, a later value of a field
// replaces an earlier one, a message field seen twice is merged
// (TestDecodeClaimWithoutTrace, FuzzDecodeClaimWithoutTrace).
func DecodeClaimWithoutTrace(b []byte) (*adjudicator.ClaimRecord, error) {
	w := &wire{s: string(b)}
	w.b = b
	r := &adjudicator.ClaimRecord{}
	var period string
	var res *wireResult // nil while the record has no response field
	var reversal []int  // the reversal fields' bounds, in pairs
	strs := [...]*string{1: &r.ID, 2: &r.Transaction, 3: &r.Key.PharmacyNPI, 4: &r.Key.RxNumber, 6: &r.Key.DateOfService,
		7: &r.Hash, 8: &r.CardholderID, 9: &r.PersonCode, 10: &period}
	if n := w.count(13); n > 0 {
		r.Contributions = make([]accumulators.Contribution, 0, n) // a record has tens
	}
	err := w.fields(0, len(b), func(f field) (err error) {
		switch {
		case f.is(protowire.BytesType) && int(f.num) < len(strs) && strs[f.num] != nil:
			*strs[f.num], err = w.str(f)
		case f.num == 5 && f.is(protowire.VarintType):
			r.Key.FillNumber = int(int32(f.v))
		case f.num == 11 && f.is(protowire.BytesType):
			if r.Claim == nil {
				r.Claim = &adjudicator.Claim{}
			}
			err = w.claim(r.Claim, f)
		case f.num == 12 && f.is(protowire.BytesType):
			if res == nil {
				res = &wireResult{r: &adjudicator.Response{}}
			}
			err = w.result(res, f)
		case f.num == 13 && f.is(protowire.BytesType):
			err = w.contribution(&r.Contributions, f)
		case f.num == 14 && f.is(protowire.BytesType):
			reversal = append(reversal, f.start, f.end)
		case f.num == 15 && f.is(protowire.VarintType):
			r.ConfigVersion = f.v
		case f.num == 17 && f.is(protowire.VarintType):
			r.TraceVersion = uint32(f.v)
		case f.num == 16 && f.is(protowire.BytesType):
			pa, perr := DecodePriorAuth(b[f.start:f.end])
			if perr != nil {
				return fmt.Errorf("prior authorization: %w", perr)
			}
			r.PriorAuths = append(r.PriorAuths, pa)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return finishRecord(r, period, res, b, reversal)
}

// finishRecord parses what is parsed once the record is read: the period,
// the response's amounts and reject codes, and the reversal (rare: read by
// the generated code, merging its fields as protobuf does).
func finishRecord(r *adjudicator.ClaimRecord, period string, res *wireResult, b []byte, reversal []int) (*adjudicator.ClaimRecord, error) {
	var err error
	if r.Period, err = domain.ParseDate(period); err != nil {
		return nil, err
	}
	if res == nil { // as DecodeClaim reads a record without a response
		res = &wireResult{r: &adjudicator.Response{}}
	}
	if r.Response, err = res.finish(); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	if len(reversal) > 0 {
		m := new(storev1.Reversal)
		for i := 0; i < len(reversal); i += 2 {
			if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(b[reversal[i]:reversal[i+1]], m); err != nil {
				return nil, err
			}
		}
		if res := m.GetResponse(); res != nil {
			res.Trace, res.TraceSteps = nil, nil
		}
		if r.Reversal, err = reversalFromStored(m); err != nil {
			return nil, fmt.Errorf("reversal response: %w", err)
		}
	}
	return r, nil
}

// wire is a record being read: s is the copy of b its strings are cut from;
// seen, the contributions' amounts read so far (a claim's member and
// family contributions, and its levels', repeat a few amounts).
type wire struct {
	s    string
	b    []byte
	seen [8]seenAmount
	n    int
}

type seenAmount struct {
	s string
	d decimal.Decimal
}

// amount parses a contribution's amount as decimal.NewFromString, once
// per distinct text of the record's first eight (decimals are never
// changed, so contributions share them).
func (w *wire) amount(s string) (decimal.Decimal, error) {
	for _, a := range w.seen[:w.n] {
		if a.s == s {
			return a.d, nil
		}
	}
	d, ok := money.Parse(s)
	var err error
	if !ok {
		d, err = decimal.NewFromString(s)
	}
	if err == nil && w.n < len(w.seen) {
		w.seen[w.n] = seenAmount{s, d}
		w.n++
	}
	return d, err
}

// field is one field of a message: its number and wire type, a varint's
// value, or where a length-delimited value lies in the record.
type field struct {
	num        protowire.Number
	typ        protowire.Type
	v          uint64
	start, end int
}

func (f field) is(t protowire.Type) bool { return f.typ == t }

// fields calls fn with each field of the message at b[start:end].
func (w *wire) fields(start, end int, fn func(field) error) error {
	for pos := start; pos < end; {
		num, typ, n := protowire.ConsumeTag(w.b[pos:end])
		if n < 0 {
			return protowire.ParseError(n)
		}
		pos += n
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(w.b[pos:end])
		case protowire.BytesType:
			var v []byte
			v, n = protowire.ConsumeBytes(w.b[pos:end])
			f.start, f.end = pos+n-len(v), pos+n
		default:
			n = protowire.ConsumeFieldValue(num, typ, w.b[pos:end])
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		pos += n
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// count is how many length-delimited fields numbered num the record
// has (what it cannot read, the reading proper reports).
func (w *wire) count(num protowire.Number) int {
	n := 0
	_ = w.fields(0, len(w.b), func(f field) error {
		if f.num == num && f.is(protowire.BytesType) {
			n++
		}
		return nil
	})
	return n
}

var errUTF8 = errors.New("string field contains invalid UTF-8")

// str is a string field's value, which proto3 requires to be UTF-8.
func (w *wire) str(f field) (string, error) {
	s := w.s[f.start:f.end]
	if !utf8.ValidString(s) {
		return "", errUTF8
	}
	return s, nil
}

// claim reads the claim as billed (storev1.Claim) into c.
func (w *wire) claim(c *adjudicator.Claim, m field) error {
	strs := [...]*string{1: &c.BIN, 2: &c.PCN, 3: &c.GroupID, 4: &c.CardholderID, 5: &c.PersonCode, 6: &c.DateOfBirth,
		7: &c.DateOfService, 8: &c.RxNumber, 10: &c.ProductID, 11: &c.Quantity, 13: &c.DAW, 14: &c.IngredientCostSubmitted,
		15: &c.DispensingFeeSubmitted, 16: &c.UsualAndCustomary, 17: &c.GrossAmountDue, 18: &c.PharmacyNPI,
		19: &c.PrescriberNPI, 22: &c.PriorAuthorizationNumber, 23: &c.PatientGender, 24: &c.DatePrescriptionWritten,
		25: &c.RefillsAuthorized, 26: &c.QuantityPrescribed, 27: &c.OtherCoverageCode}
	return w.fields(m.start, m.end, func(f field) (err error) {
		switch {
		case f.is(protowire.BytesType) && int(f.num) < len(strs) && strs[f.num] != nil:
			*strs[f.num], err = w.str(f)
		case f.num == 9 && f.is(protowire.VarintType):
			c.FillNumber = int(int32(f.v))
		case f.num == 12 && f.is(protowire.VarintType):
			c.DaysSupply = int(int32(f.v))
		case f.num == 20 && f.is(protowire.BytesType):
			var s string
			if s, err = w.str(f); err == nil {
				c.SubmissionClarificationCodes = append(c.SubmissionClarificationCodes, s)
			}
		case f.num == 21 && f.is(protowire.BytesType):
			var d adjudicator.DURService
			err = w.strings(f, &d.Reason, &d.Professional, &d.Result)
			c.DUR = append(c.DUR, d)
		}
		return err
	})
}

// strings reads a message of string fields numbered from 1 into dst.
func (w *wire) strings(m field, dst ...*string) error {
	return w.fields(m.start, m.end, func(f field) (err error) {
		if f.is(protowire.BytesType) && f.num >= 1 && int(f.num) <= len(dst) {
			*dst[f.num-1], err = w.str(f)
		}
		return err
	})
}

// wireResult is a response being read (storev1.ClaimResult): its amounts
// and reject codes are parsed once all of its fields are read.
type wireResult struct {
	r       *adjudicator.Response
	amounts [14]string // fields 5 to 18
	rejects []string
}

// result reads a response's fields into res.
func (w *wire) result(res *wireResult, m field) error {
	r := res.r
	strs := [...]*string{1: &r.ClaimID, 4: &r.Message, 19: &r.BasisOfReimbursement, 21: &r.PlanID, 22: &r.NetworkType,
		23: &r.NetworkClass, 25: &r.BrandClass, 27: &r.ReversedClaimID}
	return w.fields(m.start, m.end, func(f field) (err error) {
		switch {
		case f.is(protowire.BytesType) && int(f.num) < len(strs) && strs[f.num] != nil:
			*strs[f.num], err = w.str(f)
		case f.num == 2 && f.is(protowire.BytesType):
			var s string
			s, err = w.str(f)
			r.Status = adjudicator.Status(s)
		case f.num >= 5 && f.num <= 18 && f.is(protowire.BytesType):
			res.amounts[f.num-5], err = w.str(f)
		case f.num == 3 && f.is(protowire.BytesType):
			var code, text string
			if err = w.strings(f, &code, &text); err == nil {
				res.rejects = append(res.rejects, code)
			}
		case f.num == 20 && f.is(protowire.BytesType):
			var a adjudicator.DURAlert
			err = w.strings(f, &a.Reason, &a.Message)
			r.DURAlerts = append(r.DURAlerts, a)
		case f.num == 24 && f.is(protowire.VarintType):
			r.Tier = int(int32(f.v))
		}
		return err // the trace (26, 28) is left out
	})
}

// finish parses the response's amounts and reject codes as
// resultFromStored does.
func (res *wireResult) finish() (*adjudicator.Response, error) {
	if err := amountsFromStored(res.r, &res.amounts); err != nil {
		return nil, err
	}
	for _, c := range res.rejects {
		code, ok := ncpdp.LookupReject(c)
		if !ok {
			return nil, fmt.Errorf("unknown reject code %q", c)
		}
		res.r.Rejects = append(res.r.Rejects, code)
	}
	return res.r, nil
}

// contribution reads one contribution (storev1.Contribution) onto cs.
func (w *wire) contribution(cs *[]accumulators.Contribution, m field) error {
	var c storev1.Contribution // only its scalars: nothing escapes
	err := w.fields(m.start, m.end, func(f field) (err error) {
		switch {
		case f.num == 1 && f.is(protowire.VarintType):
			c.Scope = storev1.Scope(int32(f.v))
		case f.num == 2 && f.is(protowire.VarintType):
			c.Kind = storev1.Kind(int32(f.v))
		case f.num == 3 && f.is(protowire.BytesType):
			c.Level, err = w.str(f)
		case f.num == 4 && f.is(protowire.VarintType):
			c.NetworkType = storev1.NetworkType(int32(f.v))
		case f.num == 5 && f.is(protowire.VarintType):
			c.NetworkClass = storev1.NetworkClass(int32(f.v))
		case f.num == 6 && f.is(protowire.BytesType):
			c.Amount, err = w.str(f)
		}
		return err
	})
	if err != nil {
		return err
	}
	amount, err := w.amount(c.Amount)
	if err != nil {
		return fmt.Errorf("contribution: %w", err)
	}
	gc, err := contributionOf(&c, amount)
	if err != nil {
		return fmt.Errorf("contribution: %w", err)
	}
	*cs = append(*cs, gc)
	return nil
}
