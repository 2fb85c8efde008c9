package server

import (
	"context"
	"fmt"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// maxStatusMessage bounds an error's message: a request with many
// problems, each repeating a piece of the input, still gets a short
// answer (its details, where it has them, list every problem).
const maxStatusMessage = 4 << 10

// boundMessages cuts the message of a handler's error to maxStatusMessage
// bytes, keeping its code and details.
func boundMessages(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	if err == nil {
		return resp, nil
	}
	st, ok := status.FromError(err)
	if !ok || len(st.Message()) <= maxStatusMessage {
		return resp, err
	}
	p := st.Proto()
	p.Message = cutMessage(p.Message)
	return resp, status.ErrorProto(p)
}

// cutMessage is msg cut at a character boundary within maxStatusMessage
// bytes, saying how much was cut.
func cutMessage(msg string) string {
	cut := maxStatusMessage - 32 // room for the note
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return fmt.Sprintf("%s … (%d more bytes)", msg[:cut], len(msg)-cut)
}
