// Package authn establishes who is calling the adjudicator's gRPC
// services: interceptors that put an auth.Identity in the context of every
// call before any handler (or the authorization interceptor) runs.
//
// In TLS mode the identity is proven: a bearer JWT in the call's
// "authorization" metadata, verified against the configured keys, or else
// the verified client certificate of the connection (its SPIFFE URI SAN, or
// its subject CN). A call with neither is refused with Unauthenticated; the
// x-user metadata and request user fields are ignored.
//
// In development mode (no TLS material; the server then listens on
// loopback only) the identity is asserted: the x-user metadata, or
// "anonymous" without it.
package authn

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"

	"github.com/rxclaims/rxclaims/internal/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// UserMetadataKey is the metadata key naming the caller of a
// development-mode call (internal/client sends the same key).
const UserMetadataKey = "x-user"

// Anonymous is the subject of a development-mode call without x-user.
const Anonymous = "anonymous"

// Reasons a call is refused, the label values of the failure counter.
const (
	ReasonNoCredentials = "no_credentials" // neither a client certificate nor a bearer token
	ReasonBadToken      = "bad_token"      // a bearer token that does not verify
	ReasonBadCert       = "bad_certificate"
	ReasonHandshake     = "handshake" // a TLS handshake that failed (see Credentials)
)

// Authenticator turns a call's transport and metadata into an identity.
type Authenticator struct {
	development bool
	jwt         *JWTVerifier
	failed      func(reason string)
}

// Options configure an Authenticator.
type Options struct {
	// JWT verifies bearer tokens; nil refuses them.
	JWT *JWTVerifier
	// Failed, when set, is called with the reason of each refused call
	// (to count it).
	Failed func(reason string)
}

// Development returns the development-mode authenticator: the x-user
// metadata, or Anonymous.
func Development() *Authenticator { return &Authenticator{development: true} }

// TLS returns the TLS-mode authenticator.
func TLS(o Options) *Authenticator { return &Authenticator{jwt: o.JWT, failed: o.Failed} }

// IsDevelopment reports whether identities are asserted, not proven.
func (a *Authenticator) IsDevelopment() bool { return a.development }

// refusal is an authentication failure: its reason and what the caller is
// told (never a token, a certificate's content or member data).
type refusal struct{ reason, msg string }

func (r *refusal) Error() string { return r.msg }

// Identify returns the caller of the call in ctx.
func (a *Authenticator) Identify(ctx context.Context) (auth.Identity, error) {
	// ValueFromIncomingContext copies one key's values, not the whole
	// metadata as FromIncomingContext does.
	if a.development {
		sub := Anonymous
		if v := metadata.ValueFromIncomingContext(ctx, UserMetadataKey); len(v) > 0 && v[0] != "" {
			sub = v[0]
		}
		return auth.Identity{Subject: sub, Source: auth.SourceDevelopment}, nil
	}
	if v := metadata.ValueFromIncomingContext(ctx, "authorization"); len(v) > 0 {
		return a.bearer(v)
	}
	cert := verifiedPeer(ctx)
	if cert == nil {
		return auth.Identity{}, &refusal{ReasonNoCredentials, "a verified client certificate or a bearer token is required"}
	}
	id, err := FromCertificate(cert)
	if err != nil {
		return auth.Identity{}, &refusal{ReasonBadCert, err.Error()}
	}
	return id, nil
}

// bearer verifies the authorization metadata's token.
func (a *Authenticator) bearer(values []string) (auth.Identity, error) {
	scheme, token, ok := strings.Cut(values[0], " ")
	switch {
	case len(values) != 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "":
		return auth.Identity{}, &refusal{ReasonBadToken, `authorization: want one "Bearer <token>"`}
	case a.jwt == nil:
		return auth.Identity{}, &refusal{ReasonBadToken, "bearer tokens are not accepted by this server"}
	}
	id, err := a.jwt.Verify(token)
	if err != nil {
		return auth.Identity{}, &refusal{ReasonBadToken, "bearer token refused: " + err.Error()}
	}
	return id, nil
}

// verifiedPeer returns the leaf of the connection's verified client
// certificate chain, if any.
func verifiedPeer(ctx context.Context) *x509.Certificate {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return nil
	}
	return info.State.VerifiedChains[0][0]
}

// authenticate puts the caller's identity in ctx, or refuses the call.
func (a *Authenticator) authenticate(ctx context.Context) (context.Context, error) {
	id, err := a.Identify(ctx)
	if err != nil {
		var r *refusal
		if errors.As(err, &r) && a.failed != nil {
			a.failed(r.reason)
		}
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return auth.NewContext(ctx, id), nil
}

// Unary is the unary server interceptor.
func (a *Authenticator) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.authenticate(ctx)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// Stream is the stream server interceptor.
func (a *Authenticator) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.authenticate(ss.Context())
		if err != nil {
			return err
		}
		return handler(srv, &identified{ServerStream: ss, ctx: ctx})
	}
}

// identified is a stream whose context carries the identity.
type identified struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identified) Context() context.Context { return s.ctx }
