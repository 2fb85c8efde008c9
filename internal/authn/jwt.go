package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/certs"
)

// signatureAlgorithms are the JWS algorithms accepted: public-key ones
// only (a JWKS holds public keys; "none" and HMAC are refused).
var signatureAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// leeway is the clock skew allowed on exp, nbf and iat.
const leeway = time.Minute

// JWTOptions configure a JWTVerifier.
type JWTOptions struct {
	JWKS     string // path of a JSON Web Key Set file (public keys, each with a kid); reloaded when it changes
	Issuer   string // required: the iss every token must carry
	Audience string // required: a value the token's aud must contain
	Files    certs.Options
}

// JWTVerifier verifies bearer tokens: signature by a key of the set (by
// kid), iss, aud, exp (required) and nbf.
type JWTVerifier struct {
	keys     *certs.Watched[*jose.JSONWebKeySet]
	issuer   string
	audience string
	now      func() time.Time
}

// NewJWTVerifier loads the key set.
func NewJWTVerifier(o JWTOptions) (*JWTVerifier, error) {
	if o.JWKS == "" || o.Issuer == "" || o.Audience == "" {
		return nil, errors.New("bearer tokens need a key set, an issuer and an audience")
	}
	keys, err := certs.Watch("JWKS", []string{o.JWKS}, func() (*jose.JSONWebKeySet, error) { return loadJWKS(o.JWKS) }, o.Files)
	if err != nil {
		return nil, err
	}
	now := o.Files.Now
	if now == nil {
		now = time.Now
	}
	return &JWTVerifier{keys: keys, issuer: o.Issuer, audience: o.Audience, now: now}, nil
}

// loadJWKS reads a key set of public keys; a set without a key, a key
// without a kid, a private or a symmetric key is an error.
func loadJWKS(path string) (*jose.JSONWebKeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := &jose.JSONWebKeySet{}
	for i, k := range set.Keys {
		switch {
		case k.KeyID == "":
			return nil, fmt.Errorf("%s: key %d has no kid", path, i)
		case !k.IsPublic():
			return nil, fmt.Errorf("%s: key %q is not a public key (give the public keys only; symmetric keys are refused)", path, k.KeyID)
		}
		out.Keys = append(out.Keys, k)
	}
	if len(out.Keys) == 0 {
		return nil, fmt.Errorf("%s holds no key", path)
	}
	return out, nil
}

// tokenClaims are the claims read besides the registered ones; groups and
// roles may be a string or a list.
type tokenClaims struct {
	Groups stringList `json:"groups"`
	Roles  stringList `json:"roles"`
	Scope  string     `json:"scope"`
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*l = many
	return nil
}

// Verify checks token and returns its identity: Subject is sub; the
// Attributes hold "iss", and "groups", "roles" and "scope" when present.
// Errors say what failed, never the token.
func (v *JWTVerifier) Verify(token string) (auth.Identity, error) {
	tok, err := jwt.ParseSigned(token, signatureAlgorithms)
	if err != nil {
		return auth.Identity{}, errors.New("malformed or unsupported algorithm")
	}
	var std jwt.Claims
	var extra tokenClaims
	if err := tok.Claims(v.keys.Get(), &std, &extra); err != nil {
		return auth.Identity{}, errors.New("signature not by a configured key")
	}
	switch err := std.ValidateWithLeeway(jwt.Expected{Issuer: v.issuer, AnyAudience: jwt.Audience{v.audience}, Time: v.now()}, leeway); {
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return auth.Identity{}, errors.New("wrong issuer")
	case errors.Is(err, jwt.ErrInvalidAudience):
		return auth.Identity{}, errors.New("wrong audience")
	case errors.Is(err, jwt.ErrExpired):
		return auth.Identity{}, errors.New("expired")
	case err != nil:
		return auth.Identity{}, errors.New("not valid yet")
	case std.Expiry == nil:
		return auth.Identity{}, errors.New("no expiry (exp)")
	case std.Subject == "":
		return auth.Identity{}, errors.New("no subject (sub)")
	}
	attrs := map[string][]string{"iss": {std.Issuer}}
	for name, values := range map[string][]string{"groups": extra.Groups, "roles": extra.Roles, "scope": strings.Fields(extra.Scope)} {
		if len(values) > 0 {
			attrs[name] = values
		}
	}
	return auth.Identity{Subject: std.Subject, Source: auth.SourceJWT, Attributes: attrs}, nil
}
