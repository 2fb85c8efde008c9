// Package dialer connects the adjudicator's clients (adjctl, the loader,
// the bench, the tests) to its gRPC listeners: plaintext to a
// development-mode server, or TLS with a client certificate and a bearer
// token, from the command-line flags every client shares (Flags). It links
// no engine, so the loader may use it.
package dialer

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rxclaims/rxclaims/internal/certs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Flags are the command-line flags of every client of the adjudicator
// (adjctl, the loader, the bench), for kong: embed them with
// `embed:""`. With none given the connection is plaintext, for a
// development-mode server on loopback.
type Flags struct {
	CA         string `name:"tls-ca" env:"RXCLAIMS_CLIENT_TLS_CA" placeholder:"FILE" help:"PEM CA bundle that signs the adjudicator's certificate; with any TLS flag the connection uses TLS (system roots without this one)."`
	Cert       string `name:"tls-cert" env:"RXCLAIMS_CLIENT_TLS_CERT" placeholder:"FILE" help:"PEM client certificate (mutual TLS; with --tls-key)."`
	Key        string `name:"tls-key" env:"RXCLAIMS_CLIENT_TLS_KEY" placeholder:"FILE" help:"PEM private key of --tls-cert."`
	ServerName string `name:"tls-server-name" env:"RXCLAIMS_CLIENT_TLS_SERVER_NAME" help:"Name the adjudicator's certificate must carry (default: the host of the address)."`
	TokenFile  string `name:"token-file" env:"RXCLAIMS_CLIENT_TOKEN_FILE" placeholder:"FILE" help:"File holding a bearer JWT sent with every call (read again when it changes); implies TLS."`
}

// Options says how to reach the adjudicator. With none of the fields
// set the connection is plaintext.
type Options struct {
	TLS certs.ClientFiles
	// TokenFile holds a bearer token, sent as "authorization: Bearer ..."
	// on every call; it is read again when the file changes.
	TokenFile string
}

// Options returns the dial options the flags give.
func (f Flags) Options() Options {
	return Options{TLS: certs.ClientFiles{CA: f.CA, Cert: f.Cert, Key: f.Key, ServerName: f.ServerName}, TokenFile: f.TokenFile}
}

// secure reports whether the connection uses TLS.
func (o Options) secure() bool {
	return o.TLS != (certs.ClientFiles{}) || o.TokenFile != ""
}

// MaxReplyBytes bounds one reply the tools receive. gRPC's default, 4 MiB,
// is below the report of the largest retro job the server accepts
// (100,000 claims at about 210 bytes each); 64 MiB leaves room for it
// three times over.
const MaxReplyBytes = 64 << 20

// Dial returns a connection to addr (connected lazily, as grpc.NewClient
// does); extra options are added to those o gives.
func Dial(addr string, o Options, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts, err := o.grpcOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxReplyBytes)))
	conn, err := grpc.NewClient(addr, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", addr, err)
	}
	return conn, nil
}

func (o Options) grpcOptions() ([]grpc.DialOption, error) {
	if !o.secure() {
		return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, nil
	}
	cfg, err := certs.ClientConfig(o.TLS, certs.Options{})
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}
	if o.TokenFile != "" {
		tok, err := newTokenFile(o.TokenFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.WithPerRPCCredentials(tok))
	}
	return opts, nil
}

// tokenFile is a bearer token read from a file, read again when the file
// changes (a projected service-account token is rotated in place).
type tokenFile struct {
	w *certs.Watched[string]
}

func newTokenFile(path string) (*tokenFile, error) {
	w, err := certs.Watch("bearer token", []string{path}, func() (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			return "", fmt.Errorf("%s: want one token", path)
		}
		return tok, nil
	}, certs.Options{CheckInterval: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	return &tokenFile{w: w}, nil
}

func (t *tokenFile) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.w.Get()}, nil
}

// RequireTransportSecurity: a token never travels in plaintext.
func (t *tokenFile) RequireTransportSecurity() bool { return true }
