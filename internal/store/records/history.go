package records

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/shopspring/decimal"
)

// HistorySummary is a member's recent claim history in one record: every
// paid claim with a date of service from Since on, oldest first (claims
// of one day in claim ID order), exactly the entries a history read of
// that range returns. A store keeps it beside the entries, rewrites it in
// the commit of every claim of the member, and answers a history read
// that starts on or after Since from it alone: one point read, whatever
// the member's or the store's history holds.
type HistorySummary struct {
	Since   domain.Date
	Entries []adjudicator.HistoryEntry
}

// summaryVersion is the first byte of an encoded summary.
const summaryVersion = 1

// EncodeHistorySummary writes s in the compact binary form: the version
// byte, Since as days since 1970 (signed varint), the newest entry's date
// (days) and claim ID (zero and empty without entries), the entry count,
// then each entry: claim ID, date of service (days), NDC, class, days supply,
// quantity and plan paid (decimal: exponent and int64 coefficient, or the
// exponent 127 and the decimal's text when the coefficient does not fit),
// segment (network type and class as their Go values, one byte each, as
// the accumulator document codec writes them) and buckets.
func EncodeHistorySummary(s *HistorySummary) []byte {
	var newest adjudicator.HistoryEntry
	if n := len(s.Entries); n > 0 {
		newest = s.Entries[n-1]
	}
	b := appendSummaryHeader(make([]byte, 0, 32+len(s.Entries)*64), s.Since, newest.DateOfService, newest.ClaimID, len(s.Entries))
	for i := range s.Entries {
		b = appendEntry(b, &s.Entries[i])
	}
	return b
}

func appendSummaryHeader(b []byte, since, newest domain.Date, newestID string, n int) []byte {
	b = append(b, summaryVersion)
	b = binary.AppendVarint(b, int64(since.Days()))
	b = binary.AppendVarint(b, int64(newest.Days()))
	b = appendStr(b, newestID)
	return binary.AppendUvarint(b, uint64(n))
}

// AppendHistorySummary adds h to an encoded summary without decoding its
// entries, when h is its newest entry (after the newest's date and claim
// ID), the oldest entry is not older than keepFrom and the summary holds
// fewer than maxEntries; ok is false otherwise, and the caller decodes,
// changes and re-encodes it.
func AppendHistorySummary(enc []byte, h *adjudicator.HistoryEntry, keepFrom domain.Date, maxEntries int) (out []byte, ok bool) {
	r := reader{b: enc}
	if r.byte() != summaryVersion {
		return nil, false
	}
	since, newest := dateOfDays(r.varint()), dateOfDays(r.varint())
	newestID, n := r.str(), r.uvarint()
	body := r.b
	if r.err != nil || h.DateOfService.Before(since) || n >= uint64(maxEntries) {
		return nil, false
	}
	if n > 0 {
		if h.DateOfService.Before(newest) || h.DateOfService == newest && h.ClaimID <= newestID {
			return nil, false
		}
		first := reader{b: body}
		first.str()
		if dateOfDays(first.varint()).Before(keepFrom) || first.err != nil {
			return nil, false
		}
	}
	out = appendSummaryHeader(make([]byte, 0, len(enc)+96), since, h.DateOfService, h.ClaimID, int(n)+1)
	return appendEntry(append(out, body...), h), true
}

// appendEntry appends one entry of a summary.
func appendEntry(b []byte, h *adjudicator.HistoryEntry) []byte {
	b = appendStr(b, h.ClaimID)
	b = binary.AppendVarint(b, int64(h.DateOfService.Days()))
	b = appendStr(b, h.NDC)
	b = appendStr(b, h.Class)
	b = binary.AppendVarint(b, int64(h.DaysSupply))
	b = appendDecimal(b, h.Quantity)
	b = appendDecimal(b, h.PlanPaid)
	b = append(b, byte(h.Segment.Type), byte(h.Segment.Class))
	b = appendStrs(b, h.Buckets)
	b = appendStr(b, h.PharmacyNPI)
	b = appendStr(b, h.RxNumber)
	return appendStrs(b, h.PriorAuths)
}

// appendStrs appends a count, then each string (a nil list reads back nil).
func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

// DecodeHistorySummary reads a summary written by EncodeHistorySummary.
func DecodeHistorySummary(b []byte) (*HistorySummary, error) {
	r := stringReader(b)
	if v := r.byte(); v != summaryVersion {
		return nil, fmt.Errorf("history summary: version %d is not known", v)
	}
	s := &HistorySummary{Since: dateOfDays(r.varint())}
	r.varint() // the newest entry's date and claim ID, for AppendHistorySummary
	r.str()
	n := r.uvarint()
	if n > uint64(len(b)) { // every entry takes more than a byte
		return nil, errors.New("history summary: truncated")
	}
	s.Entries = make([]adjudicator.HistoryEntry, n)
	for i := range s.Entries {
		h := &s.Entries[i]
		h.ClaimID = r.str()
		h.DateOfService = dateOfDays(r.varint())
		h.NDC = r.str()
		h.Class = r.str()
		h.DaysSupply = int(r.varint())
		h.Quantity = r.decimal()
		h.PlanPaid = r.decimal()
		h.Segment = domain.Segment{Type: domain.NetworkType(r.byte()), Class: domain.NetworkClass(r.byte())}
		h.Buckets = r.strs()
		h.PharmacyNPI = r.str()
		h.RxNumber = r.str()
		h.PriorAuths = r.strs()
	}
	if r.err != nil {
		return nil, fmt.Errorf("history summary: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, errors.New("history summary: trailing bytes")
	}
	return s, nil
}

func dateOfDays(days int64) domain.Date { return domain.NewDate(1970, 1, 1).AddDays(int(days)) }

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decimalText marks a decimal written as text (its coefficient does not
// fit an int64, or its exponent a signed byte).
const decimalText = math.MaxInt8

// appendDecimal writes d with its coefficient and exponent as they are, so
// that it reads back to the same pair and writes the same bytes again. The
// text form is "<coefficient>e<exponent>": d.String() would drop trailing
// zeros (10^19 at exponent -1 reads back as the int64 10^18), and the
// second write would differ from the first. Older records' text (plain
// decimal notation) still reads.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	e := d.Exponent()
	if e > math.MinInt8 && e < decimalText && d.NumDigits() <= 18 {
		// At most 18 digits fit an int64; read without copying the
		// coefficient (Coefficient allocates a copy).
		return binary.AppendVarint(append(b, byte(int8(e))), d.CoefficientInt64())
	}
	c := d.Coefficient()
	if c.IsInt64() && e > math.MinInt8 && e < decimalText {
		return binary.AppendVarint(append(b, byte(int8(e))), c.Int64())
	}
	return appendStr(append(b, byte(int8(decimalText))), c.String()+"e"+strconv.Itoa(int(e)))
}

// reader reads the binary form, remembering the first error. When text
// holds the whole input as a string (stringReader), the strings it reads
// are substrings of text: one allocation for all of them.
type reader struct {
	b    []byte
	text string
	err  error
}

// stringReader reads b, its strings sharing one copy of b.
func stringReader(b []byte) reader { return reader{b: b, text: string(b)} }

func (r *reader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated")
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// strs reads what appendStrs wrote: nil for none.
func (r *reader) strs() []string {
	k := r.uvarint()
	if k == 0 {
		return nil
	}
	if k > uint64(len(r.b)) { // every string takes at least a byte
		r.fail()
		return nil
	}
	out := make([]string, k)
	for j := range out {
		out[j] = r.str()
	}
	return out
}

func (r *reader) str() string { return r.strOf(r.uvarint()) }

// strOf reads a string of n bytes.
func (r *reader) strOf(n uint64) string {
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	var s string
	if r.text != "" {
		off := len(r.text) - len(r.b) // r.b is always a suffix of the input
		s = r.text[off : off+int(n)]
	} else {
		s = string(r.b[:n])
	}
	r.b = r.b[n:]
	return s
}

func (r *reader) decimal() decimal.Decimal {
	e := int8(r.byte())
	if e == decimalText {
		s := r.str()
		if d, ok := money.Parse(s); ok {
			return d
		}
		d, err := decimal.NewFromString(s)
		if err != nil && r.err == nil {
			r.err = err
		}
		return d
	}
	return money.New(r.varint(), int32(e))
}
