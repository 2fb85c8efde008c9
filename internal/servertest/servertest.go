// Package servertest runs the real server (server.Run: Pebble store on
// disk, gRPC on loopback ports) on the built-in demo data, for tests of
// its clients: in development mode (Start) or with mutual TLS and
// certificates made for the test (StartTLS, PKI).
package servertest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/internal/server"
	"google.golang.org/grpc"
)

// Now is the clock of servers Start runs: a day in the demo data's plan year.
var Now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Server is a running server and a connection to each of its listeners.
type Server struct {
	Addr, AdminAddr, HealthAddr string
	Conn                        *grpc.ClientConn // the claims listener
	AdminConn                   *grpc.ClientConn // the admin listener (AdminService, EnrollmentService)
	// PKI made the certificates of a StartTLS server; nil in development mode.
	PKI  *PKI
	stop func()
}

// Start serves the demo data (seeded on first start) from dataDir until
// Stop or the end of the test, in development mode: every caller, named
// by its x-user metadata, has every role.
func Start(t testing.TB, dataDir string) *Server {
	t.Helper()
	return start(t, dataDir, nil, server.Security{}, "")
}

// StartWithPolicy is Start with the roles of a policy file
// (internal/authz); "" is the development mode of Start.
func StartWithPolicy(t testing.TB, dataDir, policyFile string) *Server {
	t.Helper()
	return start(t, dataDir, nil, server.Security{}, policyFile)
}

// StartTLS is Start with mutual TLS: the server's certificate and client
// CA come from pki, and Conn and AdminConn present pki's certificate for
// "test-client"; policyFile grants the roles (TLS requires one).
func StartTLS(t testing.TB, dataDir string, pki *PKI, policyFile string) *Server {
	t.Helper()
	return start(t, dataDir, pki, pki.Security(), policyFile)
}

func start(t testing.TB, dataDir string, pki *PKI, sec server.Security, policyFile string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan server.Addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{
			GRPCAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", HealthAddr: "127.0.0.1:0", MetricsAddr: "-",
			DataDir: dataDir, Config: Demo(), Security: sec, PolicyFile: policyFile,
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now:       func() time.Time { return Now },
			Listening: func(a server.Addrs) { up <- a },
		})
	}()
	var addrs server.Addrs
	select {
	case addrs = <-up:
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	s := &Server{Addr: addrs.GRPC.String(), AdminAddr: addrs.Admin.String(), HealthAddr: addrs.Health.String(), PKI: pki}
	opts := dialer.Options{}
	if pki != nil {
		opts = pki.Client(t, "test-client")
	}
	var conns []*grpc.ClientConn
	for _, dst := range []struct {
		addr string
		conn **grpc.ClientConn
	}{{s.Addr, &s.Conn}, {s.AdminAddr, &s.AdminConn}} {
		conn, err := dialer.Dial(dst.addr, opts)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		*dst.conn = conn
		conns = append(conns, conn)
	}
	var stopped bool
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		for _, c := range conns {
			c.Close()
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	}
	t.Cleanup(s.stop)
	return s
}

// Stop shuts the server down gracefully and waits for it to close its store.
func (s *Server) Stop() { s.stop() }

// Demo is the built-in demo data as the server's configuration, the
// default cmd/adjudicator chooses when no --config is given.
func Demo() server.ConfigSource {
	return server.ConfigSource{
		Name:     "built-in demo data",
		Load:     func() (*config.Config, error) { return demo.Config(), nil },
		SeedOnly: true,
	}
}
