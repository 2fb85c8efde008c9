package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestEngineStatusHidesDetail: an unexpected engine error reaches the
// caller as a code, what failed and a reference, never its text; the log
// has the text and the same reference.
func TestEngineStatusHidesDetail(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want codes.Code
	}{
		{errors.New("store: commit: pebble: write /var/lib/rxclaims/000123.log: no space left on device"), codes.Unavailable},
		{fmt.Errorf("%w: response broke an invariant: patient pay 12.00 != 11.00", adjudicator.ErrInternal), codes.Internal},
	} {
		var logs bytes.Buffer
		err := engineStatus(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), "Bill", "the claim could not be decided", tc.err)
		st := status.Convert(err)
		if st.Code() != tc.want || strings.Contains(st.Message(), "pebble") || strings.Contains(st.Message(), "patient pay") ||
			!strings.HasPrefix(st.Message(), "the claim could not be decided") {
			t.Errorf("%v: answered %s %q", tc.err, st.Code(), st.Message())
		}
		ref := st.Message()[strings.LastIndex(st.Message(), "ref ")+4 : len(st.Message())-1]
		if !strings.Contains(logs.String(), ref) || !strings.Contains(logs.String(), "no space left") && !strings.Contains(logs.String(), "patient pay") {
			t.Errorf("the log lacks the reference %s or the detail: %s", ref, logs.String())
		}
	}
}
