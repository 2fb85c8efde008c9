// Package servertest runs the real server (server.Run: Pebble store on
// disk, gRPC on a loopback port) on the built-in demo data, for tests of
// its clients.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Now is the clock of servers Start runs: a day in the demo data's plan year.
var Now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Server is a running server.
type Server struct {
	Addr string
	Conn *grpc.ClientConn
	stop func()
}

// Start serves the demo data (seeded on first start) from dataDir until
// Stop or the end of the test, in development mode: every caller, named
// by its x-user metadata, has every role.
func Start(t testing.TB, dataDir string) *Server {
	t.Helper()
	return StartWithPolicy(t, dataDir, "")
}

// StartWithPolicy is Start with the roles of a policy file
// (internal/authz); "" is the development mode of Start.
func StartWithPolicy(t testing.TB, dataDir, policyFile string) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{
			GRPCAddr: "127.0.0.1:0", MetricsAddr: "-", DataDir: dataDir, Config: Demo(), PolicyFile: policyFile,
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now:       func() time.Time { return Now },
			Listening: func(g, _ net.Addr) { addrs <- g },
		})
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &Server{Addr: addr.String(), Conn: conn}
	var stopped bool
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		conn.Close()
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
