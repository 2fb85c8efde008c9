package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A request that does not decode (a string field that is not UTF-8, a
// truncated field) is the caller's mistake, but gRPC reports every failed
// decode as Internal, which tells a switch the server is broken. The
// codec below decodes as gRPC's own does; on failure it leaves the request
// empty, marked with one unknown field holding the reason, and the
// undecodable interceptor answers the marked request InvalidArgument
// before any handler sees it.

// undecodableField is the field number of the mark: the largest a
// protobuf field may have, far from any field this API defines.
const undecodableField protowire.Number = protowire.MaxValidNumber

// decodeCodec is gRPC's protobuf codec with a failed decode marked rather
// than returned.
type decodeCodec struct{ encoding.CodecV2 }

func newDecodeCodec() decodeCodec {
	return decodeCodec{encoding.GetCodecV2("proto")}
}

func (c decodeCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	proto.Reset(m)
	mark := protowire.AppendTag(nil, undecodableField, protowire.BytesType)
	mark = protowire.AppendString(mark, err.Error())
	m.ProtoReflect().SetUnknown(mark)
	return nil
}

// undecodable answers InvalidArgument to a request the codec marked.
func undecodable(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := decodeError(req); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return handler(ctx, req)
}

// decodeError returns the reason the codec marked req with, if it did.
func decodeError(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	b := m.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if num == undecodableField && typ == protowire.BytesType {
			reason, _ := protowire.ConsumeString(b)
			return fmt.Errorf("the request does not decode: %s", reason)
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return nil
		}
		b = b[n:]
	}
	return nil
}

// undecodableStream answers InvalidArgument to a streaming call whose
// request the codec marked, when the handler receives it.
func undecodableStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, checkedStream{ss})
}

// checkedStream is a server stream whose received messages are checked
// for the codec's mark.
type checkedStream struct{ grpc.ServerStream }

func (s checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := decodeError(m); err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return nil
}
