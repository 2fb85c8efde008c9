package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/rxclaims/rxclaims/internal/certs"
	"github.com/rxclaims/rxclaims/internal/certs/testca"
	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/servertest"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// TestMutualTLS runs the server with mutual TLS and real handshakes: a
// client certificate from the CA is the caller's identity (a spoofed
// x-user and request user field are ignored, so maker-checker holds); no
// certificate, an untrusted one, an expired one and plaintext are refused
// and counted; the health-only listener answers probes without a
// certificate and serves nothing else.
func TestMutualTLS(t *testing.T) {
	pki := servertest.NewPKI(t)
	logs := &syncBuffer{}
	srv := startRun(t, logs, pki.Security())
	ctx := context.Background()
	claimsAddr, adminAddr := srv.addrs.GRPC.String(), srv.addrs.Admin.String()

	if r, err := pb.NewClaimsServiceClient(pki.Dial(t, claimsAddr, "switch")).Bill(ctx, &pb.BillRequest{Claim: pbDemoClaim()}); err != nil ||
		r.GetResult().GetTransactionStatus() != "P" {
		t.Fatalf("bill with a client certificate: %v %v", r, err)
	}
	checkSpoofedUserIgnored(t, pki, adminAddr)

	other, err := testca.New("another CA")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := other.IssueFiles(filepath.Join(t.TempDir(), "untrusted"), testca.Spec{CommonName: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := pki.CA.IssueFiles(filepath.Join(t.TempDir(), "expired"), testca.Spec{CommonName: "alice",
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ca := pki.Server.CA
	for name, opts := range map[string]dialer.Options{
		"no certificate":        {TLS: certs.ClientFiles{CA: ca}},
		"untrusted certificate": {TLS: certs.ClientFiles{CA: ca, Cert: untrusted.Cert, Key: untrusted.Key}},
		"expired certificate":   {TLS: certs.ClientFiles{CA: ca, Cert: expired.Cert, Key: expired.Key}},
		"plaintext":             {},
	} {
		for _, addr := range []string{claimsAddr, adminAddr} {
			conn, err := dialer.Dial(addr, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pb.NewAdminServiceClient(conn).ListEdits(ctx, &pb.ListEditsRequest{})
			conn.Close()
			t.Logf("%s on %s: %v", name, addr, err)
			if err == nil || status.Code(err) == codes.Unimplemented {
				t.Errorf("%s on %s: %v, want a refused connection", name, addr, err)
			}
		}
	}
	checkHealthListener(t, srv.addrs.Health.String())
	if m := readMetrics(t, srv.addrs.Metrics); !strings.Contains(m, `rxclaims_unauthenticated_total{reason="handshake"}`) ||
		strings.Contains(m, `rxclaims_unauthenticated_total{reason="handshake"} 0`) {
		t.Errorf("refused handshakes are not counted:\n%s", grepLines(m, "rxclaims_unauthenticated_total"))
	}
}

// checkSpoofedUserIgnored: alice's certificate makes her the author
// whatever x-user and the request's user say, so she cannot activate her
// own draft by claiming to be bob; bob's certificate can.
func checkSpoofedUserIgnored(t *testing.T, pki *servertest.PKI, adminAddr string) {
	t.Helper()
	alice := pb.NewAdminServiceClient(pki.Dial(t, adminAddr, "alice"))
	asBob := metadata.AppendToOutgoingContext(context.Background(), server.UserMetadataKey, "bob")
	r, err := alice.CreateDraft(asBob, &pb.CreateDraftRequest{EditJson: quantityEdit, User: "bob"})
	if err != nil || r.GetEdit().GetCreatedBy() != "alice" {
		t.Fatalf("create as alice claiming to be bob: %v %v", r, err)
	}
	_, err = alice.ActivateEdit(asBob, &pb.ActivateEditRequest{Id: "QTY-10", Version: 1, User: "bob"})
	wantCode(t, "alice activates her own draft as bob", err, codes.PermissionDenied)
	a, err := pb.NewAdminServiceClient(pki.Dial(t, adminAddr, "bob")).ActivateEdit(context.Background(), &pb.ActivateEditRequest{Id: "QTY-10", Version: 1})
	if err != nil || a.GetEdit().GetActivatedBy() != "bob" {
		t.Fatalf("activate as bob: %v %v", a, err)
	}
}

// checkHealthListener: the plaintext health listener answers SERVING
// without a certificate and serves no other service.
func checkHealthListener(t *testing.T, addr string) {
	t.Helper()
	conn := dial(t, addr)
	h, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health listener: %v %v", h, err)
	}
	_, err = pb.NewClaimsServiceClient(conn).Bill(context.Background(), &pb.BillRequest{Claim: pbDemoClaim()})
	wantCode(t, "claims on the health listener", err, codes.Unimplemented)
	_, err = pb.NewAdminServiceClient(conn).ListEdits(context.Background(), &pb.ListEditsRequest{})
	wantCode(t, "admin on the health listener", err, codes.Unimplemented)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// jwtIssuer signs test tokens with a key published in a JWKS file.
type jwtIssuer struct {
	jwks string
	key  *ecdsa.PrivateKey
}

func newJWTIssuer(t *testing.T) *jwtIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &jwtIssuer{jwks: path, key: key}
}

// token signs claims with key under kid.
func signToken(t *testing.T, key *ecdsa.PrivateKey, kid string, claims jwt.Claims, extra map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestBearerJWT: with a JWKS configured, a caller without a client
// certificate authenticates with a bearer JWT; its subject is the acting
// user. A token signed by another key, for another issuer or audience, or
// expired is refused with Unauthenticated, and so is a call with neither
// token nor certificate.
func TestBearerJWT(t *testing.T) {
	pki := servertest.NewPKI(t)
	iss := newJWTIssuer(t)
	sec := pki.Security()
	sec.JWKS, sec.JWTIssuer, sec.JWTAudience = iss.jwks, "https://idp.test", "rxclaims"
	srv := startRun(t, &syncBuffer{}, sec)
	ctx := context.Background()

	now := time.Now()
	good := jwt.Claims{Subject: "svc-author", Issuer: "https://idp.test", Audience: jwt.Audience{"rxclaims"},
		Expiry: jwt.NewNumericDate(now.Add(time.Hour)), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute))}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(signToken(t, iss.key, "k1", good, map[string]any{"groups": []string{"authors"}})+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conn, err := dialer.Dial(srv.addrs.Admin.String(), dialer.Options{TLS: certs.ClientFiles{CA: pki.Server.CA}, TokenFile: tokenFile})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	spoof := metadata.AppendToOutgoingContext(ctx, server.UserMetadataKey, "mallory")
	r, err := pb.NewAdminServiceClient(conn).CreateDraft(spoof, &pb.CreateDraftRequest{EditJson: quantityEdit})
	if err != nil || r.GetEdit().GetCreatedBy() != "svc-author" {
		t.Fatalf("create with a bearer token: %v %v", r, err)
	}

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bad := func(edit func(*jwt.Claims)) jwt.Claims { c := good; edit(&c); return c }
	noCert := dialer.Options{TLS: certs.ClientFiles{CA: pki.Server.CA}}
	plain, err := dialer.Dial(srv.addrs.Admin.String(), noCert)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	for name, authz := range map[string]string{
		"another key":      "Bearer " + signToken(t, other, "k1", good, nil),
		"unknown kid":      "Bearer " + signToken(t, other, "k9", good, nil),
		"another issuer":   "Bearer " + signToken(t, iss.key, "k1", bad(func(c *jwt.Claims) { c.Issuer = "https://evil.test" }), nil),
		"another audience": "Bearer " + signToken(t, iss.key, "k1", bad(func(c *jwt.Claims) { c.Audience = jwt.Audience{"billing"} }), nil),
		"expired":          "Bearer " + signToken(t, iss.key, "k1", bad(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour)) }), nil),
		"no expiry":        "Bearer " + signToken(t, iss.key, "k1", bad(func(c *jwt.Claims) { c.Expiry = nil }), nil),
		"not a bearer":     "Basic YWxpY2U6c2VjcmV0",
		"garbage":          "Bearer not.a.token",
		"":                 "",
	} {
		callCtx := ctx
		if authz != "" {
			callCtx = metadata.AppendToOutgoingContext(ctx, "authorization", authz)
		}
		_, err := pb.NewAdminServiceClient(plain).ListEdits(callCtx, &pb.ListEditsRequest{})
		t.Logf("%s: %v", name, err)
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("token %q: %v, want Unauthenticated", name, err)
		}
		if authz != "" && strings.Contains(status.Convert(err).Message(), strings.TrimPrefix(authz, "Bearer ")) {
			t.Errorf("token %q: the error repeats the token", name)
		}
	}
	m := readMetrics(t, srv.addrs.Metrics)
	for _, want := range []string{`rxclaims_unauthenticated_total{reason="bad_token"} 8`, `rxclaims_unauthenticated_total{reason="no_credentials"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(m, "rxclaims_unauthenticated_total"))
		}
	}
}

// TestCertificateReload: the server picks up a rotated certificate and a
// rotated client CA from its files without a restart.
func TestCertificateReload(t *testing.T) {
	pki := servertest.NewPKI(t)
	sec := pki.Security()
	sec.Files.CheckInterval = time.Nanosecond // every handshake looks at the files
	srv := startRun(t, &syncBuffer{}, sec)
	addr := srv.addrs.GRPC.String()
	if cn := serverCN(t, addr, pki.Client(t, "switch")); cn != "rxclaims-adjudicator" {
		t.Fatalf("server certificate %q before rotation", cn)
	}
	rotated, err := pki.CA.Issue(testca.Spec{CommonName: "rotated", Server: true})
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, pki.Server.Cert, rotated.CertPEM)
	rewrite(t, pki.Server.Key, rotated.KeyPEM)
	if cn := serverCN(t, addr, pki.Client(t, "switch")); cn != "rotated" {
		t.Fatalf("server certificate %q after rotation, want the rotated one", cn)
	}

	// A client certificate of a new CA is refused until the client CA file
	// holds that CA too.
	next, err := testca.New("next CA")
	if err != nil {
		t.Fatal(err)
	}
	f, err := next.IssueFiles(filepath.Join(t.TempDir(), "next"), testca.Spec{CommonName: "switch-2"})
	if err != nil {
		t.Fatal(err)
	}
	nextClient := dialer.Options{TLS: certs.ClientFiles{CA: pki.Server.CA, Cert: f.Cert, Key: f.Key}}
	if _, err := call(t, addr, nextClient); err == nil {
		t.Fatal("a certificate of a CA not yet trusted was accepted")
	}
	rewrite(t, pki.Server.CA, append(append([]byte{}, pki.CA.CertPEM...), next.CertPEM...))
	if cn, err := call(t, addr, nextClient); err != nil || cn != "rotated" {
		t.Fatalf("after the client CA rotation: %q %v", cn, err)
	}
}

// rewrite replaces a file's content and moves its modification time on,
// as a Secret update does.
func rewrite(t *testing.T, path string, b []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	later := fi.ModTime().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// call makes a health check on a new connection and returns the common
// name of the server's certificate.
func call(t *testing.T, addr string, o dialer.Options) (string, error) {
	t.Helper()
	conn, err := dialer.Dial(addr, o)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var p peer.Peer
	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}, grpc.Peer(&p)); err != nil {
		return "", err
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		t.Fatalf("no TLS peer: %+v", p.AuthInfo)
	}
	return info.State.PeerCertificates[0].Subject.CommonName, nil
}

func serverCN(t *testing.T, addr string, o dialer.Options) string {
	t.Helper()
	cn, err := call(t, addr, o)
	if err != nil {
		t.Fatal(err)
	}
	return cn
}

// TestDevelopmentModeLoopback: without TLS material, addresses without a
// host bind loopback, and a non-loopback one is refused before the store
// is opened.
func TestDevelopmentModeLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up := make(chan server.Addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{GRPCAddr: ":0", AdminAddr: ":0", HealthAddr: ":0", MetricsAddr: "-",
			DataDir: t.TempDir(), Config: servertest.Demo(), Logger: discardLogger(), Listening: func(a server.Addrs) { up <- a }})
	}()
	select {
	case a := <-up:
		for _, addr := range []net.Addr{a.GRPC, a.Admin, a.Health} {
			if !addr.(*net.TCPAddr).IP.IsLoopback() {
				t.Errorf("development mode bound %s", addr)
			}
		}
	case err := <-done:
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	err := server.Run(context.Background(), server.Options{GRPCAddr: "0.0.0.0:0", AdminAddr: "127.0.0.1:0", HealthAddr: "-", MetricsAddr: "-",
		DataDir: dir, Config: servertest.Demo(), Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Fatalf("0.0.0.0 without TLS: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a refused start opened the store: %v", err)
	}
}
