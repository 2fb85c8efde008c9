package authn_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authn"
	"github.com/rxclaims/rxclaims/internal/certs/testca"
	"google.golang.org/grpc/metadata"
)

// TestFromCertificate: the SPIFFE ID wins over the common name; the other
// names are attributes; a certificate naming nobody, or two SPIFFE IDs,
// is refused.
func TestFromCertificate(t *testing.T) {
	ca, err := testca.New("test CA")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		spec    testca.Spec
		subject string
		attrs   map[string][]string
	}{
		{"spiffe", testca.Spec{CommonName: "loader", OU: []string{"enrollment"}, URIs: []string{"spiffe://rxclaims.test/ns/rx/sa/loader", "https://example.test/x"}},
			"spiffe://rxclaims.test/ns/rx/sa/loader",
			map[string][]string{"spiffe": {"spiffe://rxclaims.test/ns/rx/sa/loader"}, "cn": {"loader"}, "ou": {"enrollment"}}},
		{"common name", testca.Spec{CommonName: "switch-1", DNS: []string{"switch-1.test"}}, "switch-1",
			map[string][]string{"cn": {"switch-1"}, "dns": {"switch-1.test"}}},
		{"nobody", testca.Spec{DNS: []string{"x.test"}}, "", nil},
		{"two spiffe IDs", testca.Spec{CommonName: "x", URIs: []string{"spiffe://a.test/one", "spiffe://a.test/two"}}, "", nil},
	} {
		p, err := ca.Issue(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		id, err := authn.FromCertificate(p.Cert)
		if tc.subject == "" {
			if err == nil {
				t.Errorf("%s: accepted as %q", tc.name, id.Subject)
			}
			continue
		}
		if err != nil || id.Subject != tc.subject || id.Source != auth.SourceCertificate || !cmp.Equal(id.Attributes, tc.attrs) {
			t.Errorf("%s: %+v %v", tc.name, id, err)
		}
	}
}

// TestDevelopment: the x-user metadata, else anonymous.
func TestDevelopment(t *testing.T) {
	a := authn.Development()
	for md, want := range map[string]string{"carol": "carol", "": authn.Anonymous} {
		ctx := context.Background()
		if md != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(authn.UserMetadataKey, md))
		}
		id, err := a.Identify(ctx)
		if err != nil || id.Subject != want || id.Source != auth.SourceDevelopment {
			t.Errorf("x-user %q: %+v %v", md, id, err)
		}
	}
}

// TestTLSModeIgnoresXUser: in TLS mode x-user proves nothing.
func TestTLSModeIgnoresXUser(t *testing.T) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(authn.UserMetadataKey, "alice"))
	var reasons []string
	a := authn.TLS(authn.Options{Failed: func(r string) { reasons = append(reasons, r) }})
	if id, err := a.Identify(ctx); err == nil {
		t.Fatalf("x-user alone authenticated %+v", id)
	}
	if _, err := a.Unary()(ctx, nil, nil, func(context.Context, any) (any, error) { t.Fatal("handler ran"); return nil, nil }); err == nil {
		t.Fatal("the interceptor let an unauthenticated call through")
	}
	if !cmp.Equal(reasons, []string{authn.ReasonNoCredentials}) {
		t.Errorf("refusals counted: %v", reasons)
	}
}
