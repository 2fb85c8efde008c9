package authz_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authz"
)

const policy = `
identities:
  - subject: spiffe://rxclaims.example/ns/rxclaims/sa/loader
    roles: [enrollment-operator]
  - subject_prefix: spiffe://rxclaims.example/ns/switches/
    roles: [claims-submitter]
  - attribute: {name: ou, value: benefit-analysts}
    roles: [config-author]
  - attribute: {name: groups, prefix: rxclaims-approvers}
    roles: [config-approver, config-author]
  - subject: carol
    roles: [auditor]
  - subject: rxclaims-loader
    source: certificate
    roles: [enrollment-operator]
`

func TestRoles(t *testing.T) {
	p, err := authz.Parse([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   auth.Identity
		want string
	}{
		{spiffe("spiffe://rxclaims.example/ns/rxclaims/sa/loader"), "enrollment-operator"},
		{spiffe("spiffe://rxclaims.example/ns/rxclaims/sa/loader2"), ""},
		{spiffe("spiffe://rxclaims.example/ns/switches/relay"), "claims-submitter"},
		{spiffe("spiffe://rxclaims.example/ns/switches-evil/x"), ""},
		// A SPIFFE ID only from a certificate's URI SAN: not a common name,
		// a token subject or an x-user that reads like one.
		{auth.Identity{Subject: "spiffe://rxclaims.example/ns/switches/relay", Source: auth.SourceCertificate,
			Attributes: map[string][]string{"cn": {"spiffe://rxclaims.example/ns/switches/relay"}}}, ""},
		{auth.Identity{Subject: "spiffe://rxclaims.example/ns/switches/relay", Source: auth.SourceJWT}, ""},
		{auth.Identity{Subject: "spiffe://rxclaims.example/ns/rxclaims/sa/loader", Source: auth.SourceDevelopment}, ""},
		// A rule with a source matches that source only.
		{auth.Identity{Subject: "rxclaims-loader", Source: auth.SourceCertificate}, "enrollment-operator"},
		{auth.Identity{Subject: "rxclaims-loader", Source: auth.SourceJWT}, ""},
		{auth.Identity{Subject: "alice", Attributes: map[string][]string{"ou": {"x", "benefit-analysts"}}}, "config-author"},
		{auth.Identity{Subject: "alice", Attributes: map[string][]string{"ou": {"benefit-analysts-2"}}}, ""},
		{auth.Identity{Subject: "bob", Attributes: map[string][]string{"groups": {"rxclaims-approvers-east"}}}, "config-author config-approver"},
		{auth.Identity{Subject: "bob", Attributes: map[string][]string{"ou": {"rxclaims-approvers"}}}, ""},
		{auth.Identity{Subject: "carol"}, "auditor"},
		{auth.Identity{Subject: "Carol"}, ""},
		{auth.Identity{}, ""},
	} {
		if got := strings.Join(p.Roles(c.id), " "); got != c.want {
			t.Errorf("Roles(%+v) = %q, want %q", c.id, got, c.want)
		}
	}
	if all := authz.AllowAll().Roles(auth.Identity{Subject: "anyone"}); len(all) != len(authz.Roles) {
		t.Errorf("AllowAll grants %v", all)
	}
}

// spiffe is the identity of a client certificate whose URI SAN is id.
func spiffe(id string) auth.Identity {
	return auth.Identity{Subject: id, Source: auth.SourceCertificate, Attributes: map[string][]string{"spiffe": {id}}}
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"empty", ``, "grants no role"},
		{"unknown source", "identities:\n  - subject: a\n    source: kerberos\n    roles: [auditor]\n", "source"},
		{"unknown field", "identities:\n  - subject: a\n    roles: [auditor]\n    rol: [x]\n", "unknown field"},
		{"two matchers", "identities:\n  - subject: a\n    subject_prefix: b\n    roles: [auditor]\n", "identities[0]: give exactly one"},
		{"no matcher", "identities:\n  - roles: [auditor]\n", "give exactly one"},
		{"attribute without value", "identities:\n  - attribute: {name: ou}\n    roles: [auditor]\n", "attribute: give its name"},
		{"attribute with both", "identities:\n  - attribute: {name: ou, value: a, prefix: b}\n    roles: [auditor]\n", "attribute: give its name"},
		{"no roles", "identities:\n  - subject: a\n", "roles: at least one"},
		{"unknown role", "identities:\n  - subject: a\n    roles: [admin]\n", `"admin" is not a role`},
		{"every problem", "identities:\n  - subject: a\n  - subject: b\n    roles: [root]\n", "identities[1]"},
		{"syntax", "identities: [", "["},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := authz.Parse([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse: %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := authz.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := authz.Load(path + ".missing"); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}
