package adjudicator

import (
	"testing"
)

// TestReplayTraceVocabulary: a record written before a trace step existed
// (its TraceVersion below the step's) replays without a difference though
// the replay traces the step; a record of the step's vocabulary that lacks
// it differs.
func TestReplayTraceVocabulary(t *testing.T) {
	step := func(name, text string) TraceStep {
		return TraceStep{Step: name, Format: "%s", Args: []TraceArg{traceArg(text)}}
	}
	old := &Response{Status: Paid, Trace: []TraceStep{step(stepEligibility, "covered"), step(stepPharmacy, "network RETAIL/IN")}}
	replayed := &Response{Status: Paid, Trace: []TraceStep{step(stepEligibility, "covered"),
		step(stepSettings, "PBM v2, client ACME v2, group G1 v2"), step(stepPharmacy, "network RETAIL/IN")}}
	for _, v := range []uint32{0, 1} {
		if d := compareResponses(old, replayed, v); len(d) != 0 {
			t.Errorf("trace version %d: differences %+v; want none", v, d)
		}
	}
	if d := compareResponses(old, replayed, TraceVersion); len(d) != 1 || d[0].Field != "trace[1]" {
		t.Errorf("trace version %d: differences %+v; want trace[1]", TraceVersion, d)
	}
	if d := compareResponses(replayed, replayed, TraceVersion); len(d) != 0 {
		t.Errorf("the same trace: differences %+v", d)
	}
	// A step of the first vocabulary is never left out.
	if got := traceSince(old.Trace, 0); len(got) != 2 {
		t.Errorf("traceSince dropped a first-vocabulary step: %+v", got)
	}
	for name, since := range traceStepsSince {
		if since < 2 || since > TraceVersion {
			t.Errorf("step %q added in vocabulary %d; want 2 to TraceVersion (%d)", name, since, TraceVersion)
		}
	}
}
