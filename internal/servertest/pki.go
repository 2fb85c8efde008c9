package servertest

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rxclaims/rxclaims/internal/certs"
	"github.com/rxclaims/rxclaims/internal/certs/testca"
	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/internal/server"
	"google.golang.org/grpc"
)

// PKI is a test's certificate authority, the server certificate it issued
// (for localhost and the loopback addresses) and the client certificates
// it issues on demand, all as files under Dir.
type PKI struct {
	Dir    string
	CA     *testca.CA
	Server testca.Files

	mu      sync.Mutex
	clients map[string]testca.Files
}

// NewPKI makes a CA and a server certificate under a temporary directory.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	ca, err := testca.New("rxclaims test CA")
	if err != nil {
		t.Fatal(err)
	}
	p := &PKI{Dir: t.TempDir(), CA: ca, clients: map[string]testca.Files{}}
	if p.Server, err = ca.IssueFiles(filepath.Join(p.Dir, "server"), testca.Spec{CommonName: "rxclaims-adjudicator", Server: true}); err != nil {
		t.Fatal(err)
	}
	return p
}

// Security is the server's TLS configuration: its certificate and the CA
// as the client CA.
func (p *PKI) Security() server.Security {
	return server.Security{TLSCert: p.Server.Cert, TLSKey: p.Server.Key, ClientCA: p.Server.CA}
}

// Client returns the dial options of a client whose certificate names cn
// (issued the first time).
func (p *PKI) Client(t testing.TB, cn string) dialer.Options {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.clients[cn]
	if !ok {
		var err error
		if f, err = p.CA.IssueFiles(filepath.Join(p.Dir, "client-"+cn), testca.Spec{CommonName: cn}); err != nil {
			t.Fatal(err)
		}
		p.clients[cn] = f
	}
	return dialer.Options{TLS: certs.ClientFiles{CA: f.CA, Cert: f.Cert, Key: f.Key}}
}

// Dial connects to addr with cn's client certificate; the connection is
// closed at the end of the test.
func (p *PKI) Dial(t testing.TB, addr, cn string) *grpc.ClientConn {
	t.Helper()
	conn, err := dialer.Dial(addr, p.Client(t, cn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Policy writes a policy file (internal/authz) granting each subject its
// roles, and returns its path.
func Policy(t testing.TB, grants map[string][]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("identities:\n")
	for _, subject := range slices.Sorted(maps.Keys(grants)) {
		fmt.Fprintf(&b, "  - subject: %q\n    roles: [%s]\n", subject, strings.Join(grants[subject], ", "))
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
