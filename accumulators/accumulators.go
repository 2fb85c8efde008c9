package accumulators

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/money"
	"github.com/shopspring/decimal"
)

// Kind is what a bucket accumulates.
type Kind uint8

// The accumulator kinds.
const (
	Deductible Kind = iota + 1
	OutOfPocket
	PlanPaid
	RxCount
	Units // quantity dispensed
)

var kindNames = [...]string{"", "DEDUCTIBLE", "OUT_OF_POCKET", "PLAN_PAID", "RX_COUNT", "UNITS"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if i > 0 && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("accumulator kind %q is unknown", b)
}

// Scope says whether a bucket belongs to a member or to the whole family.
type Scope uint8

// The scopes.
const (
	Member Scope = iota + 1
	Family
)

func (s Scope) String() string {
	switch s {
	case Member:
		return "MEMBER"
	case Family:
		return "FAMILY"
	}
	return fmt.Sprintf("Scope(%d)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Scope) UnmarshalText(b []byte) error {
	switch string(b) {
	case "MEMBER":
		*s = Member
	case "FAMILY":
		*s = Family
	default:
		return fmt.Errorf("accumulator scope %q is unknown", b)
	}
	return nil
}

// Bucket names one stored value: a kind at a rule level (empty for the plan
// default) in a network segment.
type Bucket struct {
	Kind    Kind           `json:"kind"`
	Level   string         `json:"level,omitempty"`
	Segment domain.Segment `json:"-"`
}

// Entry is a bucket and its amount.
type Entry struct {
	Bucket
	Amount decimal.Decimal
}

// Doc holds every non-zero bucket of one member or family for one period.
// A Doc is owned by one goroutine at a time; Clone before sharing.
type Doc struct {
	Entries []Entry
}

// Get returns the amount in bucket b.
func (d *Doc) Get(b Bucket) decimal.Decimal {
	for _, e := range d.Entries {
		if e.Bucket == b {
			return e.Amount
		}
	}
	return decimal.Zero
}

// Add adds amount (which may be negative) to bucket b and returns the new
// amount. A bucket that reaches zero is dropped.
func (d *Doc) Add(b Bucket, amount decimal.Decimal) decimal.Decimal {
	for i := range d.Entries {
		if d.Entries[i].Bucket == b {
			v := money.Add(d.Entries[i].Amount, amount) // decimal's sum, in int64 where it fits
			if v.IsZero() {
				d.Entries = append(d.Entries[:i], d.Entries[i+1:]...)
			} else {
				d.Entries[i].Amount = v
			}
			return v
		}
	}
	if !amount.IsZero() {
		d.Entries = append(d.Entries, Entry{Bucket: b, Amount: amount})
	}
	return amount
}

// Total sums the buckets of kind at level that a limit with setting acc,
// tested for a claim in segment claim, reads.
func (d *Doc) Total(kind Kind, level string, acc edits.Accumulation, claim domain.Segment) decimal.Decimal {
	sum, n := decimal.Zero, 0
	for _, e := range d.Entries {
		if e.Kind == kind && e.Level == level && acc.Reads(e.Segment, claim) {
			n++
			// The first bucket is the sum so far as it stands (adding it
			// to zero would allocate the same value at the same exponent).
			if n == 1 && e.Amount.Exponent() <= 0 {
				sum = e.Amount
			} else {
				sum = money.Add(sum, e.Amount)
			}
		}
	}
	return sum
}

// TotalFixed is Total in int64 (money.Fixed), the same amount at the same
// exponent; not OK when an amount does not fit, and then Total is to be
// used.
func (d *Doc) TotalFixed(kind Kind, level string, acc edits.Accumulation, claim domain.Segment) money.Fixed {
	sum := money.Of(decimal.Zero)
	for _, e := range d.Entries {
		if e.Kind == kind && e.Level == level && acc.Reads(e.Segment, claim) {
			sum = sum.Add(money.Of(e.Amount))
		}
	}
	return sum
}

// Clone returns a deep copy of d (nil gives an empty Doc).
func (d *Doc) Clone() *Doc {
	if d == nil {
		return &Doc{}
	}
	return &Doc{Entries: append([]Entry(nil), d.Entries...)}
}

const docVersion = 1

// Encode returns the binary form of d.
func (d *Doc) Encode() []byte {
	buf := make([]byte, 0, 2+len(d.Entries)*24)
	buf = append(buf, docVersion)
	buf = binary.AppendUvarint(buf, uint64(len(d.Entries)))
	for _, e := range d.Entries {
		buf = append(buf, byte(e.Kind), byte(e.Segment.Type), byte(e.Segment.Class))
		buf = appendString(buf, e.Level)
		buf = appendAmount(buf, e.Amount)
	}
	return buf
}

// appendAmount appends d's length and d.String(), without big-integer work
// for an amount whose coefficient fits in int64 at an exponent of 0 to -18
// (every amount a claim accumulates): money.AppendString.
func appendAmount(buf []byte, d decimal.Decimal) []byte {
	var text [40]byte
	t := money.AppendString(text[:0], d)
	buf = binary.AppendUvarint(buf, uint64(len(t)))
	return append(buf, t...)
}

// parseAmount reads an amount as decimal.NewFromString does, to the same
// value at the same exponent, without big-integer parsing for the usual
// form (money.Parse); anything else goes to decimal.NewFromString.
func parseAmount(b []byte) (decimal.Decimal, error) {
	if d, ok := money.Parse(b); ok {
		return d, nil
	}
	return decimal.NewFromString(string(b))
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

var errCorrupt = errors.New("accumulators: corrupt document")

// Decode parses the binary form written by Encode.
func Decode(b []byte) (*Doc, error) {
	if len(b) == 0 || b[0] != docVersion {
		return nil, errCorrupt
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	b = b[k:]
	d := &Doc{Entries: make([]Entry, 0, n)}
	for range n {
		if len(b) < 3 {
			return nil, errCorrupt
		}
		e := Entry{Bucket: Bucket{Kind: Kind(b[0]), Segment: domain.Segment{Type: domain.NetworkType(b[1]), Class: domain.NetworkClass(b[2])}}}
		b = b[3:]
		var level string
		var amount []byte
		var ok bool
		if level, b, ok = readString(b); !ok {
			return nil, errCorrupt
		}
		if amount, b, ok = readBytes(b); !ok {
			return nil, errCorrupt
		}
		v, err := parseAmount(amount)
		if err != nil || !e.Segment.Valid() || e.Kind == 0 || int(e.Kind) >= len(kindNames) {
			return nil, errCorrupt
		}
		e.Level, e.Amount = level, v
		d.Entries = append(d.Entries, e)
	}
	if len(b) != 0 {
		return nil, errCorrupt
	}
	return d, nil
}

func readString(b []byte) (string, []byte, bool) {
	v, rest, ok := readBytes(b)
	return string(v), rest, ok
}

func readBytes(b []byte) ([]byte, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}
