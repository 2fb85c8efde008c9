package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
)

// The binary form of a trace (ClaimResult.trace_steps) has two versions.
//
// The first, which records written before the trace dictionary keep: the
// number of steps (never 0: an empty trace is not stored), then for each
// its step, rule, reject code, format and text as strings (a uvarint
// length, then the bytes) and its arguments, each a kind byte and its
// value (a string, a varint, or a decimal as appendDecimal writes it).
//
// The second, written since: a 0 byte (which the first form never starts
// with), the version byte traceV1, then the number of steps and the steps
// as in the first form, except that every string (a step's five and a
// text argument's) is a uvarint x telling where its text is:
//
//	x&1 == 1   entry x>>1 of traceDictionary (the engine's step names
//	           and formats, written in every record otherwise)
//	x&3 == 2   the (x>>2)-th string written inline earlier in the trace
//	           (a rule or plan named by several steps)
//	x&3 == 0   inline: x>>2 bytes of text follow
//
// Every non-empty inline string is numbered, in the order written, up to
// traceRefs of them; the encoder writes a string from the dictionary if it
// is there, else by its number if it was written before, else inline. A
// string missing from the dictionary is only longer, never wrong.
const (
	traceV1   = 1
	traceRefs = 32 // inline strings a trace can refer back to: a reference takes one byte
)

// traceSize bounds the length of a trace's binary form, so that it is
// written into one allocation of about its size. A string's bound is its
// inline form; a dictionary entry's code is no longer (it takes at most 2
// bytes, TestTraceDictionary, and an inline non-empty string at least 2).
func traceSize(trace []adjudicator.TraceStep) int {
	str := func(s string) int { return uvarintLen(len(s)<<2) + len(s) }
	n := 2 + uvarintLen(len(trace))
	for _, t := range trace {
		n += str(t.Step) + str(t.Rule) + str(string(t.Reject)) + str(t.Format) + str(t.Text) + uvarintLen(len(t.Args))
		for _, a := range t.Args {
			n += 1 + max(str(a.Text), binary.MaxVarintLen64+1) // a decimal's text (rare) grows the buffer
		}
	}
	return n
}

func uvarintLen(n int) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], uint64(n))
}

// traceStack is the room encodeTrace writes a trace in before its copy: a
// bench mix claim's trace takes about 380 bytes (traceSize bounds it by
// about 1,100, as if no string were in the dictionary).
const traceStack = 1024

// TraceForm is the binary form a record's trace is written in. Every build
// since the second form reads both.
type TraceForm int

const (
	// TraceCompact is the second form: constant strings from the
	// dictionary, repeated ones referred back to.
	TraceCompact TraceForm = iota
	// TraceFirstForm is the first form, every string inline: the one that
	// builds from before the second read. A database that instances of such
	// a build may share during a rolling upgrade is written in it, until a
	// later release, when none runs any more, switches it to TraceCompact.
	TraceFirstForm
)

// encodeTrace is the trace's binary form, in one allocation of its length
// when it fits traceStack bytes, else of traceSize.
func encodeTrace(trace []adjudicator.TraceStep, form TraceForm) []byte {
	var buf [traceStack]byte
	if b := appendTrace(buf[:0], trace, form); len(b) <= len(buf) {
		return bytes.Clone(b)
	}
	return appendTrace(make([]byte, 0, traceSize(trace)), trace, form)
}

// traceWriter numbers the inline strings a trace's second form writes,
// to refer back to them; in the first form it writes every one inline.
type traceWriter struct {
	first bool
	refs  [traceRefs]string
	n     int
}

// str appends s to b.
func (w *traceWriter) str(b []byte, s string) []byte {
	if w.first {
		return appendStr(b, s)
	}
	if s == "" {
		return append(b, 0)
	}
	if i, ok := traceDictionaryIndex[s]; ok {
		return binary.AppendUvarint(b, uint64(i)<<1|1)
	}
	for i, r := range w.refs[:w.n] {
		if r == s {
			return binary.AppendUvarint(b, uint64(i)<<2|2)
		}
	}
	if w.n < len(w.refs) {
		w.refs[w.n] = s
		w.n++
	}
	return append(binary.AppendUvarint(b, uint64(len(s))<<2), s...)
}

func appendTrace(b []byte, trace []adjudicator.TraceStep, form TraceForm) []byte {
	w := traceWriter{first: form == TraceFirstForm}
	if !w.first {
		b = append(b, 0, traceV1)
	}
	b = binary.AppendUvarint(b, uint64(len(trace)))
	for _, t := range trace {
		b = w.str(b, t.Step)
		b = w.str(b, t.Rule)
		b = w.str(b, string(t.Reject))
		b = w.str(b, t.Format)
		b = w.str(b, t.Text)
		b = binary.AppendUvarint(b, uint64(len(t.Args)))
		for _, a := range t.Args {
			b = append(b, byte(a.Kind))
			switch a.Kind {
			case adjudicator.ArgInt, adjudicator.ArgDate:
				b = binary.AppendVarint(b, a.Int)
			case adjudicator.ArgDecimal, adjudicator.ArgCents:
				b = appendDecimal(b, a.Dec)
			default:
				b = w.str(b, a.Text)
			}
		}
	}
	return b
}

// traceReader reads a trace of either form: v1 tells the second.
type traceReader struct {
	reader
	v1   bool
	refs [traceRefs]string
	n    int
}

var errTraceUTF8 = errors.New("a string is not valid UTF-8")

// str reads a string, checked to be UTF-8 (strings a reply carries must
// be); the dictionary's are.
func (r *traceReader) str() string {
	if !r.v1 {
		return r.inline(r.uvarint())
	}
	x := r.uvarint()
	switch {
	case x&1 == 1:
		if i := x >> 1; i < uint64(len(traceDictionary)) {
			return traceDictionary[i]
		}
		r.setErr(fmt.Errorf("no trace dictionary entry %d", x>>1))
	case x&3 == 2:
		if i := x >> 2; i < uint64(r.n) {
			return r.refs[i]
		}
		r.setErr(fmt.Errorf("no inline string %d to refer back to", x>>2))
	default:
		s := r.inline(x >> 2)
		if s != "" && r.n < len(r.refs) {
			r.refs[r.n] = s
			r.n++
		}
		return s
	}
	return ""
}

func (r *traceReader) inline(n uint64) string {
	s := r.strOf(n)
	if !utf8.ValidString(s) {
		r.setErr(errTraceUTF8)
	}
	return s
}

func (r *traceReader) setErr(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

// decodeTrace reads a trace of either binary form.
func decodeTrace(b []byte) ([]adjudicator.TraceStep, error) {
	r := &traceReader{reader: stringReader(b)} // one copy for every inline string of the trace
	if len(b) > 0 && b[0] == 0 {
		if len(b) < 2 || b[1] != traceV1 {
			return nil, fmt.Errorf("trace: unknown binary form")
		}
		r.v1, r.b = true, r.b[2:]
	}
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every step takes at least a byte
		return nil, fmt.Errorf("trace: %d steps in %d bytes", n, len(r.b))
	}
	out := make([]adjudicator.TraceStep, n)
	for i := range out {
		if err := r.step(&out[i]); err != nil && r.err == nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("trace: %w", r.err)
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("trace: %d bytes after its end", len(r.b))
	}
	return out, nil
}

// step reads one step into t; an error that is not the reader's.
func (r *traceReader) step(t *adjudicator.TraceStep) error {
	t.Step, t.Rule = r.str(), r.str()
	if code := r.str(); code != "" {
		rc, ok := ncpdp.LookupReject(code)
		if !ok {
			return fmt.Errorf("unknown reject code %q", code)
		}
		t.Reject = rc
	}
	t.Format, t.Text = r.str(), r.str()
	k := r.uvarint()
	if k > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	if k > 0 {
		t.Args = make([]adjudicator.TraceArg, k)
	}
	for j := range t.Args {
		a := &t.Args[j]
		a.Kind = adjudicator.TraceArgKind(r.byte())
		switch a.Kind {
		case adjudicator.ArgInt, adjudicator.ArgDate:
			a.Int = r.varint()
		case adjudicator.ArgDecimal, adjudicator.ArgCents:
			a.Dec = r.decimal()
		case adjudicator.ArgText:
			a.Text = r.str()
		default:
			return fmt.Errorf("unknown argument kind %d", a.Kind)
		}
	}
	return nil
}
