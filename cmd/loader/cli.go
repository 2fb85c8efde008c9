package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/alecthomas/kong"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/term"
	"google.golang.org/grpc"

	"github.com/rxclaims/rxclaims/internal/dialer"
	"github.com/rxclaims/rxclaims/loader"
)

// CLI is the loader's command line: the flags every command takes, and
// one struct per command with its own.
type CLI struct {
	Globals

	Version kong.VersionFlag `help:"Print the version and exit."`

	Run    RunCmd    `cmd:"" default:"withargs" help:"Watch the inbox and sync to the adjudicator (the default command)."`
	Apply  ApplyCmd  `cmd:"" help:"Stage, process and sync one file, then exit."`
	Status StatusCmd `cmd:"" help:"List files with their status and counts, and the outbox."`
	Rewind RewindCmd `cmd:"" help:"Undo file GROUP/SEQ and the group's later files."`
	Retro  RetroCmd  `cmd:"" help:"List the paid claims a file's back-dated changes affect (with --readjudicate, re-adjudicate them)."`
	Sync   SyncCmd   `cmd:"" help:"Send what the outbox holds, then exit."`
	Policy PolicyCmd `cmd:"" help:"Member policy versions: pending, history, approve, reject, change."`
	Bench  BenchCmd  `cmd:"" help:"Apply N generated family records to a fresh loader and report the rate."`
}

// Globals are the flags every command takes.
type Globals struct {
	Dir         string       `default:"./loader-data" env:"RXCLAIMS_LOADER_DIR" help:"State, staging, archive and rejected directories."`
	Inbox       string       `env:"RXCLAIMS_LOADER_INBOX" help:"Inbox directory (default DIR/inbox)."`
	Profiles    string       `env:"RXCLAIMS_LOADER_PROFILES" help:"Group intake profiles (YAML or JSON)."`
	Adjudicator string       `default:"localhost:50052" env:"RXCLAIMS_ADJUDICATOR" help:"The adjudicator's admin listener (EnrollmentService; \"-\": do not sync)."`
	TLS         dialer.Flags `embed:""`
	LogLevel    string       `default:"info" env:"RXCLAIMS_LOG_LEVEL" help:"Log level (debug, info, warn, error)."`

	stdout, stderr io.Writer
	loadingTimeout time.Duration // run's --loading-timeout
}

func (g *Globals) logger() (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(g.stderr, &slog.HandlerOptions{Level: lvl})), nil
}

// session is an open loader and what closes it.
type session struct {
	*loader.Loader
	conn *grpc.ClientConn
	log  *slog.Logger
}

func (s *session) Close() {
	s.Loader.Close()
	if s.conn != nil {
		s.conn.Close()
	}
}

// hasSink reports whether the loader syncs to an adjudicator.
func (s *session) hasSink() bool { return s.conn != nil }

// syncAfter sends the outbox when there is an adjudicator.
func (s *session) syncAfter(ctx context.Context) error {
	if !s.hasSink() {
		return nil
	}
	return s.Sync(ctx)
}

// open reads the profiles, dials the adjudicator (unless "-") and opens the
// loader; reg, when set, receives its metrics, and poll, when set, spaces
// inbox scans.
func (g *Globals) open(reg prometheus.Registerer, poll time.Duration) (*session, error) {
	log, err := g.logger()
	if err != nil {
		return nil, err
	}
	opts := loader.Options{Dir: g.Dir, Inbox: g.Inbox, Logger: log, Progress: progressFor(g.stderr),
		Registerer: reg, PollInterval: poll, LoadingTimeout: g.loadingTimeout}
	if g.Profiles != "" {
		if opts.Profiles, err = loader.LoadProfiles(g.Profiles); err != nil {
			return nil, err
		}
	}
	s := &session{log: log}
	if g.Adjudicator != "-" {
		if s.conn, err = dialer.Dial(g.Adjudicator, g.TLS.Options()); err != nil {
			return nil, err
		}
		host, _ := os.Hostname()
		opts.Sink = loader.NewGRPCSink(s.conn, "loader@"+host)
	}
	if s.Loader, err = loader.Open(opts); err != nil {
		if s.conn != nil {
			s.conn.Close()
		}
		if errors.Is(err, loader.ErrLocked) {
			return nil, fmt.Errorf("%w (the state is locked by one process)", err)
		}
		return nil, err
	}
	return s, nil
}

// progressFor draws bars on a terminal and plain lines otherwise.
func progressFor(w io.Writer) loader.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return loader.TerminalProgress{W: w}
	}
	return loader.LineProgress{W: w}
}
