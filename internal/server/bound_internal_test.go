package server

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestBoundMessages: an error message longer than the bound is cut at a
// character boundary, keeping its code and details; a short one is kept.
func TestBoundMessages(t *testing.T) {
	for _, msg := range []string{"short", strings.Repeat("é", 10_000), strings.Repeat("x", maxStatusMessage)} {
		st, _ := status.New(codes.InvalidArgument, msg).WithDetails(wrapperspb.String("detail"))
		_, err := boundMessages(context.Background(), nil, nil, func(context.Context, any) (any, error) { return nil, st.Err() })
		got := status.Convert(err)
		if got.Code() != codes.InvalidArgument || len(got.Details()) != 1 {
			t.Errorf("code %v, %d details: want InvalidArgument and the detail", got.Code(), len(got.Details()))
		}
		if len(got.Message()) > maxStatusMessage || !utf8.ValidString(got.Message()) {
			t.Errorf("message of %d bytes (valid UTF-8 %v), want at most %d", len(got.Message()), utf8.ValidString(got.Message()), maxStatusMessage)
		}
		if len(msg) <= maxStatusMessage && got.Message() != msg {
			t.Errorf("a message within the bound was changed")
		}
	}
}
