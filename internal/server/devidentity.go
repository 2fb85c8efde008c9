package server

import (
	"context"

	"github.com/rxclaims/rxclaims/internal/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// This file is the stand-in for authentication until the TLS work
// (internal/authn) is wired into the interceptor chain: every caller is a
// development-mode identity, named by its x-user metadata ("anonymous"
// without it), asserted by the caller and proven by nothing. The
// authorization interceptor after it reads only auth.FromContext, so
// replacing these two functions is all the wiring the real
// authentication needs.

// UserMetadataKey is the gRPC metadata key naming the caller of a
// development-mode call (internal/client sends the same key).
const UserMetadataKey = "x-user"

// developmentIdentity returns ctx with the development-mode identity of
// its call.
func developmentIdentity(ctx context.Context) context.Context {
	id := auth.Identity{Subject: "anonymous", Source: auth.SourceDevelopment}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(UserMetadataKey); len(v) > 0 && v[0] != "" {
			id.Subject = v[0]
		}
	}
	return auth.NewContext(ctx, id)
}

func developmentUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(developmentIdentity(ctx), req)
}

func developmentStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &contextStream{ServerStream: ss, ctx: developmentIdentity(ss.Context())})
}
