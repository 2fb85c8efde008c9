// Package certs loads TLS material from files and reloads it when the files
// change, so a certificate rotated on disk (cert-manager renewing a
// Secret) takes effect without a restart. The server side is ServerConfig
// (certificate, key and the client CA of mutual TLS); the client side is
// ClientConfig (the CA that signs the server, and a client certificate).
//
// Files are checked at most once per Options.CheckInterval, on a
// handshake: when any file's modification time or size has changed, all
// of them are read again. A reload that fails (a half-written file) keeps
// the material in force and is logged; the next check tries again.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultCheckInterval is how often, at most, the files are looked at.
const DefaultCheckInterval = 5 * time.Second

// Options configure the reloading.
type Options struct {
	CheckInterval time.Duration // default DefaultCheckInterval
	Logger        *slog.Logger  // default slog.Default()
	Now           func() time.Time
}

func (o Options) withDefaults() Options {
	if o.CheckInterval <= 0 {
		o.CheckInterval = DefaultCheckInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// stamp is what says a file changed.
type stamp struct {
	mod  time.Time
	size int64
}

// Watched is a value loaded from files and loaded again when they change.
type Watched[T any] struct {
	paths []string
	load  func() (T, error)
	o     Options
	what  string

	mu        sync.Mutex
	value     T
	stamps    []stamp
	lastCheck time.Time
}

// Watch loads the value from paths with load, and returns it watched. A
// first load that fails is an error.
func Watch[T any](what string, paths []string, load func() (T, error), o Options) (*Watched[T], error) {
	w := &Watched[T]{paths: paths, load: load, o: o.withDefaults(), what: what}
	stamps, err := w.stat()
	if err != nil {
		return nil, err
	}
	if w.value, err = load(); err != nil {
		return nil, err
	}
	w.stamps, w.lastCheck = stamps, w.o.Now()
	return w, nil
}

func (w *Watched[T]) stat() ([]stamp, error) {
	out := make([]stamp, len(w.paths))
	for i, p := range w.paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.what, err)
		}
		out[i] = stamp{fi.ModTime(), fi.Size()}
	}
	return out, nil
}

// Get returns the value in force, reloading it first when the check
// interval has passed and a file changed.
func (w *Watched[T]) Get() T {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.o.Now()
	if now.Sub(w.lastCheck) < w.o.CheckInterval {
		return w.value
	}
	w.lastCheck = now
	stamps, err := w.stat()
	if err != nil {
		w.o.Logger.Error("TLS files unreadable; keeping the ones in force", "what", w.what, "error", err)
		return w.value
	}
	if equalStamps(stamps, w.stamps) {
		return w.value
	}
	v, err := w.load()
	if err != nil {
		w.o.Logger.Error("TLS files changed but do not load; keeping the ones in force", "what", w.what, "error", err)
		return w.value
	}
	w.value, w.stamps = v, stamps
	w.o.Logger.Info("TLS files reloaded", "what", w.what, "files", w.paths)
	return v
}

func equalStamps(a, b []stamp) bool {
	for i := range a {
		if !a[i].mod.Equal(b[i].mod) || a[i].size != b[i].size {
			return false
		}
	}
	return len(a) == len(b)
}

// LoadPool reads a PEM file of CA certificates.
func LoadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// LoadKeyPair reads a certificate chain and its private key.
func LoadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", certFile, keyFile, err)
	}
	return &c, nil
}

// ServerFiles are a server's TLS files.
type ServerFiles struct {
	Cert, Key string // PEM certificate chain and private key; required
	// ClientCA is the PEM bundle of CAs whose client certificates are
	// accepted; empty: no client certificates.
	ClientCA string
	// RequireClientCert refuses a handshake without a client certificate;
	// false accepts one when given (a caller may then authenticate with a
	// bearer token instead). A certificate given is always verified.
	RequireClientCert bool
}

// ServerConfig returns the server's TLS configuration: TLS 1.2 or later,
// the certificate and, with ClientCA, verified client certificates. The
// files are reloaded when they change (see the package comment).
func ServerConfig(f ServerFiles, o Options) (*tls.Config, error) {
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("a TLS certificate and key are both required")
	}
	paths := []string{f.Cert, f.Key}
	if f.ClientCA != "" {
		paths = append(paths, f.ClientCA)
	}
	w, err := Watch("server TLS", paths, func() (*tls.Config, error) { return serverConfig(f) }, o)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return w.Get(), nil },
	}, nil
}

// serverConfig reads the files once.
func serverConfig(f ServerFiles) (*tls.Config, error) {
	cert, err := LoadKeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}, NextProtos: []string{"h2"}}
	if f.ClientCA == "" {
		return c, nil
	}
	if c.ClientCAs, err = LoadPool(f.ClientCA); err != nil {
		return nil, err
	}
	c.ClientAuth = tls.VerifyClientCertIfGiven
	if f.RequireClientCert {
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// ClientFiles are a client's TLS files; every one is optional.
type ClientFiles struct {
	// CA is the PEM bundle of CAs that sign the server's certificate;
	// empty: the system's roots.
	CA string
	// Cert and Key are the client certificate of mutual TLS: both or
	// neither.
	Cert, Key string
	// ServerName overrides the name the server's certificate must carry
	// (default: the host of the address dialled).
	ServerName string
}

// ClientConfig returns a client's TLS configuration. The client
// certificate is reloaded when its files change, for long-running clients
// such as the loader sidecar.
func ClientConfig(f ClientFiles, o Options) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if f.CA != "" {
		pool, err := LoadPool(f.CA)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	switch {
	case f.Cert == "" && f.Key == "":
		return c, nil
	case f.Cert == "" || f.Key == "":
		return nil, errors.New("a client certificate needs both its certificate and key files")
	}
	w, err := Watch("client certificate", []string{f.Cert, f.Key}, func() (*tls.Certificate, error) {
		return LoadKeyPair(f.Cert, f.Key)
	}, o)
	if err != nil {
		return nil, err
	}
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return w.Get(), nil }
	return c, nil
}
