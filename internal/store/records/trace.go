package records

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
)

// The binary form of a trace (ClaimResult.trace_steps): the number of
// steps, then for each its step, rule, reject code, format and text as
// strings and its arguments, each a kind byte and its value (a string, a
// varint, or a decimal as appendDecimal writes it).

// traceSize bounds the length of a trace's binary form, so that it is
// written into one allocation of about its size.
func traceSize(trace []adjudicator.TraceStep) int {
	str := func(s string) int { return uvarintLen(len(s)) + len(s) }
	n := uvarintLen(len(trace))
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

func appendTrace(b []byte, trace []adjudicator.TraceStep) []byte {
	b = binary.AppendUvarint(b, uint64(len(trace)))
	for _, t := range trace {
		b = appendStr(b, t.Step)
		b = appendStr(b, t.Rule)
		b = appendStr(b, string(t.Reject))
		b = appendStr(b, t.Format)
		b = appendStr(b, t.Text)
		b = binary.AppendUvarint(b, uint64(len(t.Args)))
		for _, a := range t.Args {
			b = append(b, byte(a.Kind))
			switch a.Kind {
			case adjudicator.ArgInt, adjudicator.ArgDate:
				b = binary.AppendVarint(b, a.Int)
			case adjudicator.ArgDecimal, adjudicator.ArgCents:
				b = appendDecimal(b, a.Dec)
			default:
				b = appendStr(b, a.Text)
			}
		}
	}
	return b
}

func decodeTrace(b []byte) ([]adjudicator.TraceStep, error) {
	r := &reader{b: b, text: string(b)} // one copy for every string of the trace
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every step takes at least a byte
		return nil, fmt.Errorf("trace: %d steps in %d bytes", n, len(r.b))
	}
	out := make([]adjudicator.TraceStep, n)
	for i := range out {
		t := &out[i]
		t.Step, t.Rule = r.str(), r.str()
		if code := r.str(); code != "" {
			rc, ok := ncpdp.LookupReject(code)
			if !ok {
				return nil, fmt.Errorf("trace: unknown reject code %q", code)
			}
			t.Reject = rc
		}
		t.Format, t.Text = r.str(), r.str()
		k := r.uvarint()
		if k > uint64(len(r.b)) {
			r.fail()
			break
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
				return nil, fmt.Errorf("trace: unknown argument kind %d", a.Kind)
			}
		}
	}
	if r.err != nil {
		return nil, fmt.Errorf("trace: %w", r.err)
	}
	for _, t := range out { // strings a reply carries must be UTF-8
		for _, v := range []string{t.Step, t.Rule, t.Format, t.Text} {
			if !utf8.ValidString(v) {
				return nil, fmt.Errorf("trace: a string is not valid UTF-8")
			}
		}
		for _, a := range t.Args {
			if !utf8.ValidString(a.Text) {
				return nil, fmt.Errorf("trace: an argument is not valid UTF-8")
			}
		}
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("trace: %d bytes after its end", len(r.b))
	}
	return out, nil
}
