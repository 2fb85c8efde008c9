// Package auth carries who is calling: the authenticated Identity a
// transport interceptor puts in the request context, and the roles the
// policy grants it. Authentication (TLS client certificates, bearer JWTs,
// development-mode x-user) and authorization (the policy table) build on
// this one definition; handlers read the identity only from here, never
// from request fields or raw metadata.
package auth

import "context"

// Source says how an identity was established.
type Source string

const (
	// SourceCertificate is a verified TLS client certificate.
	SourceCertificate Source = "certificate"
	// SourceJWT is a bearer token verified against the configured keys.
	SourceJWT Source = "jwt"
	// SourceDevelopment is the x-user metadata of a development-mode
	// server (loopback, no TLS): asserted by the caller, not proven.
	SourceDevelopment Source = "development"
)

// Identity is an authenticated caller.
type Identity struct {
	// Subject is the stable name the policy and the audit use: a SPIFFE
	// ID, a certificate's subject CN, a JWT's subject, or the x-user of a
	// development-mode call.
	Subject string
	// Source says how Subject was established.
	Source Source
	// Attributes are the other verified facts the policy may match, by
	// name (for example "spiffe", "cn", "ou", "dns" from a certificate;
	// "iss", "groups", "roles" from a JWT). Values are as verified.
	Attributes map[string][]string
	// Roles are the roles the policy granted for this call; set by the
	// authorization interceptor, empty before it runs.
	Roles []string
}

// HasRole reports whether the identity was granted role.
func (id Identity) HasRole(role string) bool {
	for _, r := range id.Roles {
		if r == role {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity in ctx, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
