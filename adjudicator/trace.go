package adjudicator

import (
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/ncpdp"
	"github.com/shopspring/decimal"
)

// TraceStep is one rule the engine evaluated and what it decided. It is
// kept structured, a constant format and its arguments, and formatted as
// text only when asked (Outcome): a claim's hot path formats nothing, the
// stored record keeps the structured form, and a replay compares it
// exactly.
type TraceStep struct {
	Step   string           `json:"step"`
	Rule   string           `json:"rule,omitempty"`
	Reject ncpdp.RejectCode `json:"reject,omitempty"` // the reject the step gave, which prefixes the outcome
	Format string           `json:"format,omitempty"` // a format of the engine's code
	Args   []TraceArg       `json:"args,omitempty"`
	// Text is the outcome as text, when the step has no Format: a trace
	// read back from its text (a reply, a record written before traces were
	// structured).
	Text string `json:"text,omitempty"`
}

// TraceVersion is the vocabulary of the engine's trace: which steps it
// traces. A paid claim's record keeps it (ClaimRecord.TraceVersion), and a
// replay leaves out of its own trace the steps added after the record's
// vocabulary (traceStepsSince), so a record written before a step existed
// replays without a difference. Raise it, and list the new step there,
// when a change traces a step an earlier engine did not; a change to an
// existing step's text is a change of answer, which replay reports.
const TraceVersion = 2

// traceStepsSince gives, for each step added after the first vocabulary,
// the vocabulary that added it.
var traceStepsSince = map[string]uint32{
	stepSettings: 2, // the hierarchy's settings versions a claim read
}

// traceSince is trace without the steps added after vocabulary v (0
// reads as 1). It returns trace itself when it has none of them.
func traceSince(trace []TraceStep, v uint32) []TraceStep {
	v = max(v, 1)
	keep := func(t TraceStep) bool { s, ok := traceStepsSince[t.Step]; return !ok || s <= v }
	if !slices.ContainsFunc(trace, func(t TraceStep) bool { return !keep(t) }) {
		return trace
	}
	out := make([]TraceStep, 0, len(trace))
	for _, t := range trace {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out
}

// TraceArgKind is the type of a trace argument.
type TraceArgKind uint8

// The kinds of trace arguments.
const (
	ArgText    TraceArgKind = iota + 1 // Text
	ArgInt                             // Int
	ArgDecimal                         // Dec, formatted as decimal.Decimal.String
	ArgCents                           // Dec, formatted as domain.FormatCents
	ArgDate                            // Int, days since 1970-01-01, formatted as domain.Date.String
)

// TraceArg is one argument of a trace step's format.
type TraceArg struct {
	Kind TraceArgKind    `json:"kind"`
	Text string          `json:"text,omitempty"`
	Int  int64           `json:"int,omitempty"`
	Dec  decimal.Decimal `json:"dec,omitempty"`
}

// cents is an amount a trace shows as money with two places.
type cents decimal.Decimal

func (c cents) String() string { return domain.FormatCents(decimal.Decimal(c)) }

// traceArg converts one of the engine's trace arguments. Strings, ints,
// amounts and dates are kept as they are, a Stringer as its text, anything
// else as the text %v gives it (TestScenarios checks, through
// CheckTraceText, that every step reads as formatting its arguments would).
func traceArg(v any) TraceArg {
	switch x := v.(type) {
	case string:
		return TraceArg{Kind: ArgText, Text: x}
	case int:
		return TraceArg{Kind: ArgInt, Int: int64(x)}
	case decimal.Decimal:
		return TraceArg{Kind: ArgDecimal, Dec: x}
	case cents:
		return TraceArg{Kind: ArgCents, Dec: decimal.Decimal(x)}
	case domain.Date:
		return TraceArg{Kind: ArgDate, Int: int64(x.Days())}
	case fmt.Stringer:
		return TraceArg{Kind: ArgText, Text: x.String()}
	default:
		if s, ok := plainString(x); ok {
			return TraceArg{Kind: ArgText, Text: s}
		}
		return TraceArg{Kind: ArgText, Text: fmt.Sprint(x)}
	}
}

// plainString returns x's text when x is of a string type (ncpdp.RejectCode,
// edits.Kind) with no method fmt.Sprint would call instead (a Stringer is
// handled before): what fmt.Sprint(x) gives, without a new string.
func plainString(x any) (string, bool) {
	switch x.(type) {
	case fmt.Formatter, error:
		return "", false
	}
	if v := reflect.ValueOf(x); v.Kind() == reflect.String {
		return v.String(), true
	}
	return "", false
}

// value is the argument as fmt formats it.
func (a TraceArg) value() any {
	switch a.Kind {
	case ArgInt:
		return int(a.Int)
	case ArgDecimal:
		return a.Dec
	case ArgCents:
		return domain.FormatCents(a.Dec)
	case ArgDate:
		return dateOfDays(a.Int)
	default:
		return a.Text
	}
}

// Equal reports whether a and b are the same argument; amounts by value
// (362.5 and 362.50 are one amount, and format alike).
func (a TraceArg) Equal(b TraceArg) bool {
	return a.Kind == b.Kind && a.Text == b.Text && a.Int == b.Int && a.Dec.Equal(b.Dec)
}

// Outcome is what the step decided, as text.
func (t TraceStep) Outcome() string {
	if t.Format == "" {
		return t.Text
	}
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		args[i] = a.value()
	}
	s := fmt.Sprintf(t.Format, args...)
	if t.Reject != "" {
		s = "reject " + string(t.Reject) + ": " + s
	}
	return s
}

// String is the trace step as one line: "step [rule]: outcome".
func (t TraceStep) String() string {
	s := t.Step
	if t.Rule != "" {
		s += " [" + t.Rule + "]"
	}
	return s + ": " + t.Outcome()
}

// Equal reports whether t and u are the same step: structurally when both
// are structured, by their text otherwise.
func (t TraceStep) Equal(u TraceStep) bool {
	if t.Format == "" || u.Format == "" {
		return t.String() == u.String()
	}
	return t.Step == u.Step && t.Rule == u.Rule && t.Reject == u.Reject && t.Format == u.Format &&
		slices.EqualFunc(t.Args, u.Args, TraceArg.Equal)
}

// traceCheck, when set (by tests), checks that every step's text is what
// formatting its arguments as given would have been.
var traceCheck atomic.Pointer[func(got, want string)]

// trace records a step's outcome, unformatted.
func (r *Response) trace(step, rule string, reject ncpdp.RejectCode, format string, args ...any) {
	t := TraceStep{Step: step, Rule: rule, Reject: reject, Format: format}
	if len(args) > 0 {
		t.Args = make([]TraceArg, len(args))
		for i, v := range args {
			t.Args[i] = traceArg(v)
		}
	}
	r.addStep(t, args)
}

// traceTyped is trace of arguments already converted (argText, argCents):
// none is boxed in an interface on its way in.
func (r *Response) traceTyped(step, rule string, reject ncpdp.RejectCode, format string, args []TraceArg) {
	t := TraceStep{Step: step, Rule: rule, Reject: reject, Format: format}
	if len(args) > 0 {
		t.Args = slices.Clone(args)
	}
	var given []any // for traceCheck only
	if traceCheck.Load() != nil {
		for _, x := range args {
			given = append(given, x.given())
		}
	}
	r.addStep(t, given)
}

// The typed trace arguments: what traceArg makes of a string, an amount
// and an amount shown as cents.
func argText(s string) TraceArg           { return TraceArg{Kind: ArgText, Text: s} }
func argDec(d decimal.Decimal) TraceArg   { return TraceArg{Kind: ArgDecimal, Dec: d} }
func argCents(d decimal.Decimal) TraceArg { return TraceArg{Kind: ArgCents, Dec: d} }

// given is the argument as the engine would have passed it to trace.
func (a TraceArg) given() any {
	if a.Kind == ArgCents {
		return cents(a.Dec)
	}
	return a.value()
}

// addStep appends t, whose arguments are args as the engine gave them.
func (r *Response) addStep(t TraceStep, args []any) {
	if check := traceCheck.Load(); check != nil {
		want := fmt.Sprintf(t.Format, args...)
		if t.Reject != "" {
			want = "reject " + string(t.Reject) + ": " + want
		}
		(*check)(t.Outcome(), want)
	}
	r.Trace = append(r.Trace, t)
}

// dateOfDays is the date days after 1970-01-01.
func dateOfDays(days int64) domain.Date { return domain.NewDate(1970, 1, 1).AddDays(int(days)) }
