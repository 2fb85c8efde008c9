package dialer_test

import (
	"context"
	"net"
	"testing"

	"github.com/rxclaims/rxclaims/internal/dialer"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

type bigReplies struct {
	testpb.UnimplementedTestServiceServer
}

func (bigReplies) UnaryCall(_ context.Context, r *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{Payload: &testpb.Payload{Body: make([]byte, r.GetResponseSize())}}, nil
}

// TestLargeReply: a reply above gRPC's default 4 MiB (a retro report of
// 25,000 claims is about 5 MB) reaches the tools.
func TestLargeReply(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, bigReplies{})
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := dialer.Dial(lis.Addr().String(), dialer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	size := int32(21 << 20) // the report of the largest job, 100,000 claims
	r, err := testpb.NewTestServiceClient(conn).UnaryCall(context.Background(), &testpb.SimpleRequest{ResponseSize: size})
	if err != nil || len(r.GetPayload().GetBody()) != int(size) {
		t.Fatalf("a %d-byte reply: %v", size, err)
	}
}
