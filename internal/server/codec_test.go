package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/servertest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// rawCodec sends bytes as they are, so a test can send what no protobuf
// library would encode.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}
func (rawCodec) Name() string { return "proto" }

// TestUndecodableRequest: a request that does not decode (a string that
// is not UTF-8, a truncated field) is the caller's error, InvalidArgument,
// on both listeners; the server keeps answering.
func TestUndecodableRequest(t *testing.T) {
	srv := servertest.Start(t, t.TempDir())
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-user", "test")
	claim := protowire.AppendTag(nil, 1, protowire.BytesType)
	claim = protowire.AppendString(claim, "\xff")
	bill := protowire.AppendTag(nil, 1, protowire.BytesType)
	bill = protowire.AppendBytes(bill, claim)
	truncated := []byte{0x0a, 0x20, 0x01}
	cases := []struct {
		conn   *grpc.ClientConn
		method string
		body   []byte
	}{
		{srv.Conn, "/rxclaims.v1.ClaimsService/Bill", bill},
		{srv.Conn, "/rxclaims.v1.ClaimsService/Bill", truncated},
		{srv.AdminConn, "/rxclaims.v1.AdminService/GetEdit", protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "\xc3")},
	}
	for _, c := range cases {
		var out []byte
		err := c.conn.Invoke(ctx, c.method, &c.body, &out, grpc.ForceCodecV2(rawCodec{}))
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s with %x: %v, want InvalidArgument", c.method, c.body, err)
		}
	}
	// A streaming call's request is checked as it is received.
	st, err := srv.AdminConn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/rxclaims.v1.AdminService/DryRun", grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	body := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "\xff")
	if err := st.SendMsg(&body); err != nil {
		t.Fatal(err)
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := st.RecvMsg(&got); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "does not decode") {
		t.Errorf("DryRun with a from that is not UTF-8: %v, want InvalidArgument: the request does not decode", err)
	}
	// The server still answers a well-formed call.
	var out []byte
	empty := []byte{}
	if err := srv.AdminConn.Invoke(ctx, "/rxclaims.v1.AdminService/ListEdits", &empty, &out, grpc.ForceCodecV2(rawCodec{})); err != nil {
		t.Fatalf("ListEdits after the bad requests: %v", err)
	}
}
