package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/rxclaims/rxclaims/internal/authn"
	"github.com/rxclaims/rxclaims/internal/certs"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"google.golang.org/grpc/credentials"
)

// Security is how the server proves itself and authenticates callers.
// Without any TLS material the server is in development mode: plaintext,
// loopback only, identities asserted by x-user.
type Security struct {
	// TLSCert and TLSKey are the server's PEM certificate chain and key.
	TLSCert, TLSKey string
	// ClientCA is the PEM bundle of CAs whose client certificates are
	// accepted (mutual TLS).
	ClientCA string
	// JWKS, JWTIssuer and JWTAudience accept bearer JWTs signed by a key of
	// the set, with that issuer and audience.
	JWKS, JWTIssuer, JWTAudience string
	// Insecure lets a development-mode server bind a non-loopback address.
	Insecure bool
	// Reflection serves the reflection service.
	Reflection bool
	// Files configures the reloading of the files above when they change.
	Files certs.Options
}

// Development reports whether no TLS or token setting is given.
func (s Security) Development() bool {
	return s.TLSCert == "" && s.TLSKey == "" && s.ClientCA == "" && s.JWKS == "" && s.JWTIssuer == "" && s.JWTAudience == ""
}

// Transport returns the credentials and the authenticator for s: none and
// the development authenticator in development mode.
func (s Security) Transport(m *metrics.AuthMetrics, log *slog.Logger) (credentials.TransportCredentials, *authn.Authenticator, error) {
	if s.Development() {
		return nil, authn.Development(), nil
	}
	switch {
	case s.TLSCert == "" || s.TLSKey == "":
		return nil, nil, errors.New("TLS needs both a certificate and a key (--tls-cert, --tls-key)")
	case s.ClientCA == "" && s.JWKS == "":
		return nil, nil, errors.New("TLS needs a way to authenticate callers: a client CA (--tls-client-ca), a JWKS (--jwks), or both")
	case s.JWKS == "" && (s.JWTIssuer != "" || s.JWTAudience != ""):
		return nil, nil, errors.New("--jwt-issuer and --jwt-audience need --jwks")
	}
	s.Files.Logger = log
	var jwt *authn.JWTVerifier
	if s.JWKS != "" {
		var err error
		if jwt, err = authn.NewJWTVerifier(authn.JWTOptions{JWKS: s.JWKS, Issuer: s.JWTIssuer, Audience: s.JWTAudience, Files: s.Files}); err != nil {
			return nil, nil, fmt.Errorf("bearer tokens: %w", err)
		}
	}
	cfg, err := certs.ServerConfig(certs.ServerFiles{Cert: s.TLSCert, Key: s.TLSKey, ClientCA: s.ClientCA, RequireClientCert: jwt == nil}, s.Files)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS: %w", err)
	}
	creds := authn.Credentials(credentials.NewTLS(cfg), m.Refused)
	return creds, authn.TLS(authn.Options{JWT: jwt, Failed: m.Refused}), nil
}

// announce logs the mode the server runs in: loudly in development mode.
func (s Security) announce(log *slog.Logger, binds [3]bind) {
	if !s.Development() {
		log.Info("TLS: callers authenticate with a client certificate or a bearer token",
			"client_ca", s.ClientCA, "jwks", s.JWKS, "jwt_issuer", s.JWTIssuer, "jwt_audience", s.JWTAudience, "reflection", s.Reflection)
		return
	}
	log.Warn("DEVELOPMENT MODE: no TLS material given; connections are plaintext and the caller's identity is " +
		"whatever its x-user metadata says. Never run this way in production: give --tls-cert, --tls-key and --tls-client-ca")
	for _, b := range binds {
		if host, _, _ := net.SplitHostPort(b.addr); b.addr != "" && host != "localhost" && !isLoopbackIP(host) {
			log.Warn("INSECURE: serving plaintext on a non-loopback address (--insecure)", "flag", b.flag, "addr", b.addr)
		}
	}
}

// listenAddr is the address to bind: in development mode an address
// without a host binds loopback, and a non-loopback one is refused unless
// insecure.
func (s Security) listenAddr(flag, addr string) (string, error) {
	if !s.Development() {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	switch {
	case host == "" && s.Insecure:
		return addr, nil
	case host == "":
		return net.JoinHostPort("127.0.0.1", port), nil
	case host == "localhost" || isLoopbackIP(host) || s.Insecure:
		return addr, nil
	}
	return "", fmt.Errorf("%s %s: without TLS the server listens on loopback only; give --tls-cert, --tls-key and --tls-client-ca, "+
		"or --insecure to serve plaintext on this address anyway", flag, addr)
}

func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
