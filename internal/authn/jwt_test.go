package authn_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authn"
	"github.com/rxclaims/rxclaims/internal/certs"
)

func writeJWKS(t *testing.T, keys ...jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJWTClaims: a verified token's subject, issuer, groups (a string or
// a list), roles and scope become the identity.
func TestJWTClaims(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	v, err := authn.NewJWTVerifier(authn.JWTOptions{JWKS: writeJWKS(t, jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1"}),
		Issuer: "https://idp.test", Audience: "rxclaims", Files: certs.Options{Now: func() time.Time { return now }}})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.Claims{Subject: "olivia", Issuer: "https://idp.test", Audience: jwt.Audience{"other", "rxclaims"}, Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	for groups, want := range map[any][]string{"approvers": {"approvers"}, "[a b]": {"a", "b"}} {
		if groups == "[a b]" {
			groups = []string{"a", "b"}
		}
		tok, err := jwt.Signed(sig).Claims(claims).Claims(map[string]any{"groups": groups, "roles": "config-approver", "scope": "read write"}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		id, err := v.Verify(tok)
		wantAttrs := map[string][]string{"iss": {"https://idp.test"}, "groups": want, "roles": {"config-approver"}, "scope": {"read", "write"}}
		if err != nil || id.Subject != "olivia" || id.Source != auth.SourceJWT || !cmp.Equal(id.Attributes, wantAttrs) {
			t.Errorf("groups %v: %+v %v", groups, id, err)
		}
	}
	// An HMAC token is refused whatever its key.
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(hs).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); err == nil {
		t.Error("an HS256 token verified")
	}
}

// TestJWKSRefused: a key set with a private key, a symmetric key, a key
// without kid, or no key at all is refused at start.
func TestJWKSRefused(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string][]jose.JSONWebKey{
		"private key":   {{Key: key, KeyID: "k1"}},
		"symmetric key": {{Key: []byte("0123456789abcdef"), KeyID: "k1"}},
		"no kid":        {{Key: &key.PublicKey}},
		"no key":        nil,
	} {
		_, err := authn.NewJWTVerifier(authn.JWTOptions{JWKS: writeJWKS(t, keys...), Issuer: "i", Audience: "a"})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := authn.NewJWTVerifier(authn.JWTOptions{JWKS: writeJWKS(t, jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1"})}); err == nil ||
		!strings.Contains(err.Error(), "issuer") {
		t.Errorf("no issuer or audience: %v", err)
	}
}
