package deploy_test

import (
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/authz"
	"sigs.k8s.io/yaml"
)

// TestSamplePolicy: deploy/policy.yaml is a valid policy that grants every
// role to someone and the loader sidecar its role, and the ConfigMap
// rxclaims-policy carries exactly it.
func TestSamplePolicy(t *testing.T) {
	text := readFile(t, "policy.yaml")
	p, err := authz.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   auth.Identity
		want string
	}{
		{auth.Identity{Subject: "rxclaims-loader", Source: auth.SourceCertificate}, "enrollment-operator"},
		{auth.Identity{Subject: "rxclaims-loader", Source: auth.SourceJWT}, ""},
		{spiffeID("spiffe://rxclaims.example.org/switch/relay-1"), "claims-submitter"},
		{spiffeID("spiffe://rxclaims.example.org/switch-evil/x"), ""},
		{auth.Identity{Subject: "spiffe://rxclaims.example.org/switch/relay-1", Source: auth.SourceCertificate}, ""}, // a CN, not a URI SAN
		{auth.Identity{Subject: "a", Attributes: map[string][]string{"groups": {"rxclaims-config-authors", "rxclaims-config-approvers"}}}, "config-author config-approver"},
		{auth.Identity{Subject: "b", Attributes: map[string][]string{"groups": {"rxclaims-auditors"}}}, "auditor"},
		{auth.Identity{Subject: "c", Attributes: map[string][]string{"groups": {"rxclaims-operators"}}}, "operator"},
		{auth.Identity{Subject: "d", Attributes: map[string][]string{"ou": {"claims-switches"}}}, "claims-submitter"},
		{auth.Identity{Subject: "stranger"}, ""},
	} {
		if got := strings.Join(p.Roles(c.id), " "); got != c.want {
			t.Errorf("Roles(%+v) = %q, want %q", c.id, got, c.want)
		}
	}

	var cm struct {
		Kind     string                `json:"kind"`
		Metadata struct{ Name string } `json:"metadata"`
		Data     map[string]string     `json:"data"`
	}
	if err := yaml.Unmarshal(readFile(t, "kubernetes/policy-configmap.yaml"), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata.Name != "rxclaims-policy" || cm.Data["policy.yaml"] != string(text) {
		t.Errorf("kubernetes/policy-configmap.yaml is not the ConfigMap rxclaims-policy with deploy/policy.yaml as its policy.yaml")
	}
	if !strings.Contains(string(readFile(t, "kubernetes/kustomization.yaml")), "- policy-configmap.yaml") {
		t.Error("kubernetes/kustomization.yaml does not list policy-configmap.yaml")
	}
}

// spiffeID is the identity of a client certificate whose URI SAN is id.
func spiffeID(id string) auth.Identity {
	return auth.Identity{Subject: id, Source: auth.SourceCertificate, Attributes: map[string][]string{"spiffe": {id}}}
}
