// Package authz grants roles to authenticated callers: a policy file maps
// identities (an exact subject, a subject prefix, or a verified attribute
// such as a certificate's OU or a token's groups) to the roles of
// DOMAIN.md §11. Deny by default: an identity no rule matches has no role.
// Which role each RPC needs is the server's table (internal/server).
//
// The policy file (YAML; unknown fields are errors):
//
//	identities:
//	  - subject: spiffe://rxclaims.example/ns/rxclaims/sa/loader
//	    roles: [enrollment-operator]
//	  - subject_prefix: spiffe://rxclaims.example/ns/switches/
//	    roles: [claims-submitter]
//	  - attribute: {name: ou, value: benefit-analysts}
//	    roles: [config-author]
//	  - attribute: {name: groups, value: rxclaims-approvers}
//	    roles: [config-approver]
//
// Each entry has exactly one of subject, subject_prefix or attribute (with
// a value, or a prefix), and one or more roles; a caller gets the roles of
// every entry it matches.
package authz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/rxclaims/rxclaims/internal/auth"
)

// The roles. A caller may hold several.
const (
	// ClaimsSubmitter bills, reverses and rebills claims and asks for
	// eligibility and benefits: the pharmacy claim switches.
	ClaimsSubmitter = "claims-submitter"
	// ConfigAuthor drafts edits, validates them, runs test claims and
	// exports the configuration: benefit configuration analysts.
	ConfigAuthor = "config-author"
	// ConfigApprover activates and inactivates edits and proposes and
	// approves imports (never their own).
	ConfigApprover = "config-approver"
	// EnrollmentOperator syncs families and the catalog, lists a member's
	// claims and reverses claims by ID: the loader sidecar.
	EnrollmentOperator = "enrollment-operator"
	// Auditor reads: edits, the exported configuration, a member's claims
	// and the audit trail.
	Auditor = "auditor"
	// Operator runs operational RPCs (backups).
	Operator = "operator"
	// ClinicalReviewer creates, changes and ends members' prior
	// authorizations and lists them: the PBM's clinical (PA) pharmacists
	// and technicians.
	ClinicalReviewer = "clinical-reviewer"
)

// Roles lists every role.
var Roles = []string{ClaimsSubmitter, ConfigAuthor, ConfigApprover, EnrollmentOperator, Auditor, Operator, ClinicalReviewer}

// Policy grants roles to identities.
type Policy struct {
	rules []Rule
	all   bool
}

// Rule is one entry of the policy file.
type Rule struct {
	// Source, when set, limits the rule to identities established that
	// way: "certificate", "jwt" or "development" (auth.Source). A JWT's
	// subject and a certificate's name are different namespaces: give the
	// source whenever a name could be claimed through the other.
	Source        auth.Source `yaml:"source,omitempty"`
	Subject       string      `yaml:"subject,omitempty"`
	SubjectPrefix string      `yaml:"subject_prefix,omitempty"`
	Attribute     *Attribute  `yaml:"attribute,omitempty"`
	Roles         []string    `yaml:"roles"`
}

// Attribute matches a verified attribute of the identity (auth.Identity
// Attributes) by value or by prefix of any of its values.
type Attribute struct {
	Name   string `yaml:"name"`
	Value  string `yaml:"value,omitempty"`
	Prefix string `yaml:"prefix,omitempty"`
}

type policyFile struct {
	Identities []Rule `yaml:"identities"`
}

// Load reads a policy file.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}

// Parse reads a policy from YAML and checks every entry; an error names
// the entry, and for YAML errors the line and column.
func Parse(data []byte) (*Policy, error) {
	var f policyFile
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict()).Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(yaml.FormatError(err, false, true))
	}
	if len(f.Identities) == 0 {
		return nil, errors.New("identities: the policy grants no role to anyone")
	}
	var problems []error
	for i, r := range f.Identities {
		if err := r.check(); err != nil {
			problems = append(problems, fmt.Errorf("identities[%d]: %w", i, err))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return &Policy{rules: f.Identities}, nil
}

func (r Rule) check() error {
	matchers := 0
	for _, set := range []bool{r.Subject != "", r.SubjectPrefix != "", r.Attribute != nil} {
		if set {
			matchers++
		}
	}
	if matchers != 1 {
		return errors.New("give exactly one of subject, subject_prefix and attribute")
	}
	switch r.Source {
	case "", auth.SourceCertificate, auth.SourceJWT, auth.SourceDevelopment:
	default:
		return fmt.Errorf("source: %q is not certificate, jwt or development", r.Source)
	}
	if a := r.Attribute; a != nil && (a.Name == "" || (a.Value == "") == (a.Prefix == "")) {
		return errors.New("attribute: give its name and exactly one of value and prefix")
	}
	if len(r.Roles) == 0 {
		return errors.New("roles: at least one is required")
	}
	for _, role := range r.Roles {
		if !slices.Contains(Roles, role) {
			return fmt.Errorf("roles: %q is not a role (%s)", role, strings.Join(Roles, ", "))
		}
	}
	return nil
}

// AllowAll is the development-mode policy: every identity has every role.
func AllowAll() *Policy { return &Policy{all: true} }

// GrantsAll reports whether p is AllowAll.
func (p *Policy) GrantsAll() bool { return p.all }

// Roles returns the roles p grants id, in the order of Roles.
func (p *Policy) Roles(id auth.Identity) []string {
	if p.all {
		return slices.Clone(Roles)
	}
	var got []string
	for _, r := range p.rules {
		if r.matches(id) {
			got = append(got, r.Roles...)
		}
	}
	var out []string
	for _, role := range Roles {
		if slices.Contains(got, role) {
			out = append(out, role)
		}
	}
	return out
}

func (r Rule) matches(id auth.Identity) bool {
	if r.Source != "" && id.Source != r.Source {
		return false
	}
	switch {
	case r.Subject != "":
		return id.Subject == r.Subject && spiffeVerified(r.Subject, id)
	case r.SubjectPrefix != "":
		return strings.HasPrefix(id.Subject, r.SubjectPrefix) && spiffeVerified(r.SubjectPrefix, id)
	}
	a := r.Attribute
	for _, v := range id.Attributes[a.Name] {
		if (a.Value != "" && v == a.Value) || (a.Prefix != "" && strings.HasPrefix(v, a.Prefix)) {
			return true
		}
	}
	return false
}

// spiffeVerified reports whether a subject rule naming a SPIFFE ID
// (spiffe://...) matches id only through a verified SPIFFE ID: a
// certificate's URI SAN, never a common name, token subject or x-user that
// merely reads like one. Other rules need nothing more.
func spiffeVerified(rule string, id auth.Identity) bool {
	if !strings.HasPrefix(rule, "spiffe://") {
		return true
	}
	return id.Source == auth.SourceCertificate && slices.Contains(id.Attributes["spiffe"], id.Subject)
}
