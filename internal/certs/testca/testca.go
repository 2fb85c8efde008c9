// Package testca is a small certificate authority for tests and the bench
// suite: it issues server and client certificates (ECDSA P-256) and writes
// them as PEM files under the names cert-manager gives a Secret's keys
// (tls.crt, tls.key, ca.crt). It is never for production.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// CA is a self-signed certificate authority.
type CA struct {
	Cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	CertPEM []byte
}

// New returns a CA named name, valid from an hour ago for ten years.
func New(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key, CertPEM: pemBlock("CERTIFICATE", der)}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// Spec describes a certificate to issue.
type Spec struct {
	CommonName string
	OU         []string
	DNS        []string // DNS names; a server certificate gets "localhost" when none are given
	IPs        []net.IP // a server certificate gets 127.0.0.1 and ::1 when none are given
	URIs       []string // e.g. spiffe://rxclaims.example/loader
	Server     bool     // server authentication; otherwise client authentication
	// NotBefore and NotAfter default to an hour ago and a year on.
	NotBefore, NotAfter time.Time
}

// Pair is an issued certificate and its key, PEM encoded.
type Pair struct {
	CertPEM, KeyPEM []byte
	Cert            *x509.Certificate
}

// Issue signs a certificate for s.
func (ca *CA) Issue(s Spec) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: s.CommonName, OrganizationalUnit: s.OU},
		NotBefore: s.NotBefore, NotAfter: s.NotAfter, DNSNames: s.DNS, IPAddresses: s.IPs,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	if s.Server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		if len(s.DNS) == 0 && len(s.IPs) == 0 {
			tmpl.DNSNames, tmpl.IPAddresses = []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
	}
	for _, u := range s.URIs {
		parsed, err := url.Parse(u)
		if err != nil {
			return nil, err
		}
		tmpl.URIs = append(tmpl.URIs, parsed)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Pair{CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", kder), Cert: cert}, nil
}

// Files are the paths WriteFiles wrote.
type Files struct {
	Dir, Cert, Key, CA string
}

// WriteFiles writes p and the CA's certificate into dir (created if
// missing) as tls.crt, tls.key and ca.crt, the key readable by its owner
// only.
func (ca *CA) WriteFiles(dir string, p *Pair) (Files, error) {
	f := Files{Dir: dir, Cert: filepath.Join(dir, "tls.crt"), Key: filepath.Join(dir, "tls.key"), CA: filepath.Join(dir, "ca.crt")}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return f, err
	}
	for _, w := range []struct {
		path string
		b    []byte
		mode os.FileMode
	}{{f.Cert, p.CertPEM, 0o644}, {f.Key, p.KeyPEM, 0o600}, {f.CA, ca.CertPEM, 0o644}} {
		if err := os.WriteFile(w.path, w.b, w.mode); err != nil {
			return f, fmt.Errorf("writing %s: %w", w.path, err)
		}
	}
	return f, nil
}

// IssueFiles issues a certificate for s and writes it into dir.
func (ca *CA) IssueFiles(dir string, s Spec) (Files, error) {
	p, err := ca.Issue(s)
	if err != nil {
		return Files{}, err
	}
	return ca.WriteFiles(dir, p)
}
