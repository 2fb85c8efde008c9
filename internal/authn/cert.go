package authn

import (
	"context"
	"crypto/x509"
	"errors"
	"net"

	"github.com/rxclaims/rxclaims/internal/auth"
	"google.golang.org/grpc/credentials"
)

// FromCertificate is the identity of a verified client certificate: its
// SPIFFE ID (a spiffe:// URI SAN) when it has one, else its subject common
// name. Attributes hold "spiffe", "cn", "ou", "o" and "dns" as present.
func FromCertificate(c *x509.Certificate) (auth.Identity, error) {
	attrs := map[string][]string{}
	add := func(name string, values ...string) {
		for _, v := range values {
			if v != "" {
				attrs[name] = append(attrs[name], v)
			}
		}
	}
	for _, u := range c.URIs {
		if u.Scheme == "spiffe" {
			add("spiffe", u.String())
		}
	}
	add("cn", c.Subject.CommonName)
	add("ou", c.Subject.OrganizationalUnit...)
	add("o", c.Subject.Organization...)
	add("dns", c.DNSNames...)
	id := auth.Identity{Source: auth.SourceCertificate, Attributes: attrs}
	switch spiffe := attrs["spiffe"]; {
	case len(spiffe) > 1:
		return id, errors.New("the client certificate carries more than one SPIFFE ID")
	case len(spiffe) == 1:
		id.Subject = spiffe[0]
	case c.Subject.CommonName != "":
		id.Subject = c.Subject.CommonName
	default:
		return id, errors.New("the client certificate names no subject (no SPIFFE ID, no common name)")
	}
	return id, nil
}

// Credentials wraps a server's transport credentials so that each failed
// handshake (no certificate where one is required, an untrusted or expired
// one) is reported to failed with ReasonHandshake.
func Credentials(c credentials.TransportCredentials, failed func(reason string)) credentials.TransportCredentials {
	return &countingCreds{TransportCredentials: c, failed: failed}
}

type countingCreds struct {
	credentials.TransportCredentials
	failed func(reason string)
}

func (c *countingCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ServerHandshake(conn)
	if err != nil && c.failed != nil {
		c.failed(ReasonHandshake)
	}
	return out, info, err
}

func (c *countingCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c.TransportCredentials.ClientHandshake(ctx, authority, conn)
}

func (c *countingCreds) Clone() credentials.TransportCredentials {
	return &countingCreds{TransportCredentials: c.TransportCredentials.Clone(), failed: c.failed}
}
