// Command adjudicator serves pharmacy claim adjudication over gRPC.
//
//	adjudicator --data-dir ./data                    # built-in demo data, development mode (loopback, no TLS)
//	adjudicator --data-dir ./data --config plan.yaml # a configuration bundle
//	adjudicator --tls-cert tls.crt --tls-key tls.key --tls-client-ca ca.crt  # mutual TLS
//	adjudicator --policy policy.yaml                 # roles per caller (deploy/policy.yaml)
//	adjudicator --print-demo-config > bundle.yaml    # the demo data as a bundle
//	adjudicator --verify --data-dir ./data           # check a stopped server's store
//	adjudicator --backup-dir /backups                # serve, with backups (adjctl backup) under /backups
//	adjudicator --restore-from /backups/b1 --data-dir ./new  # restore a backup into an empty directory
//	adjudicator --store postgres://rx@db/rxclaims    # state in PostgreSQL, shared by any number of servers
//	adjudicator --version
//
// Most flags can also be set by an environment variable (RXCLAIMS_GRPC_ADDR,
// RXCLAIMS_TLS_CERT, RXCLAIMS_BACKUP_DIR, RXCLAIMS_POLICY, ...; --help lists them); a flag given on the command
// line wins. --insecure and --reflection are flags only. This main only reads the command
// line and chooses the configuration; internal/server does the serving.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/cli"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/server"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, cli.ErrExited) {
		fmt.Fprintln(os.Stderr, "adjudicator:", err)
		os.Exit(1)
	}
}

// flags is the command line.
type flags struct {
	GRPCAddr        string           `name:"grpc-addr" env:"RXCLAIMS_GRPC_ADDR" default:":50051" help:"ClaimsService listen address (without a host: every interface with TLS, loopback without)."`
	AdminAddr       string           `name:"admin-addr" env:"RXCLAIMS_ADMIN_ADDR" default:":50052" help:"AdminService and EnrollmentService listen address."`
	HealthAddr      string           `name:"health-addr" env:"RXCLAIMS_HEALTH_ADDR" default:":50053" help:"Plaintext listener serving only grpc.health.v1, for probes (\"-\" disables it)."`
	MetricsAddr     string           `name:"metrics-addr" env:"RXCLAIMS_METRICS_ADDR" default:":9102" help:"Prometheus /metrics listen address (\"-\" disables it)."`
	TLSCert         string           `name:"tls-cert" env:"RXCLAIMS_TLS_CERT" placeholder:"FILE" help:"PEM server certificate chain; with --tls-key turns TLS on (reloaded when the file changes)."`
	TLSKey          string           `name:"tls-key" env:"RXCLAIMS_TLS_KEY" placeholder:"FILE" help:"PEM private key of --tls-cert."`
	TLSClientCA     string           `name:"tls-client-ca" env:"RXCLAIMS_TLS_CLIENT_CA" placeholder:"FILE" help:"PEM CA bundle whose client certificates are accepted (mutual TLS)."`
	JWKS            string           `name:"jwks" env:"RXCLAIMS_JWKS" placeholder:"FILE" help:"JSON Web Key Set whose keys sign accepted bearer JWTs (with --jwt-issuer and --jwt-audience)."`
	JWTIssuer       string           `name:"jwt-issuer" env:"RXCLAIMS_JWT_ISSUER" help:"The iss every bearer JWT must carry."`
	JWTAudience     string           `name:"jwt-audience" env:"RXCLAIMS_JWT_AUDIENCE" help:"A value every bearer JWT's aud must contain."`
	Insecure        bool             `name:"insecure" help:"Without TLS, serve on non-loopback addresses anyway (identities are then asserted by x-user, not proven)."`
	Pprof           bool             `name:"pprof" env:"RXCLAIMS_PPROF" help:"Serve Go's runtime profiles (heap, CPU, goroutines; stack traces and sizes, no claim data) under /debug/pprof/ on the metrics listener."`
	Reflection      bool             `name:"reflection" help:"Serve gRPC reflection (for grpcurl without proto files)."`
	Store           string           `name:"store" env:"RXCLAIMS_STORE" placeholder:"DSN" help:"A PostgreSQL database (postgres://user@host:port/db?sslmode=verify-full) holding the state instead of the Pebble store in --data-dir; several servers may share it. Unset: Pebble."`
	DataDir         string           `name:"data-dir" env:"RXCLAIMS_DATA_DIR" default:"./data" help:"Pebble data directory (created if missing)."`
	Config          string           `name:"config" env:"RXCLAIMS_CONFIG" placeholder:"FILE" help:"Configuration bundle (YAML or JSON); without it the server runs on the built-in demo data."`
	LogLevel        string           `name:"log-level" env:"RXCLAIMS_LOG_LEVEL" default:"info" help:"Log level: debug, info, warn or error."`
	MaxInFlight     int              `name:"max-claims-in-flight" env:"RXCLAIMS_MAX_CLAIMS_IN_FLIGHT" default:"0" help:"ClaimsService calls handled at once; beyond it a call is answered ResourceExhausted at once, without any work. 0: 16 per core plus 32."`
	RetroPoll       time.Duration    `name:"retro-poll" env:"RXCLAIMS_RETRO_POLL" default:"10s" help:"How often the retro runner looks for retro jobs to run or resume (1s to 1h; a start wakes it at once)."`
	BlockCacheMiB   int64            `name:"block-cache-mib" env:"RXCLAIMS_BLOCK_CACHE_MIB" default:"512" help:"Pebble block cache for the working set, in MiB, on top of the memtables it also holds (3 x --memtable-mib)."`
	MemTableMiB     uint64           `name:"memtable-mib" env:"RXCLAIMS_MEMTABLE_MIB" default:"64" help:"Pebble memtable size in MiB."`
	FamilyCache     int              `name:"family-cache" env:"RXCLAIMS_FAMILY_CACHE" default:"100000" help:"Families kept decoded in memory."`
	DocumentCache   int              `name:"document-cache" env:"RXCLAIMS_DOCUMENT_CACHE" default:"200000" help:"Accumulator documents kept in memory (in their stored encoding)."`
	SummaryCacheMiB int64            `name:"summary-cache-mib" env:"RXCLAIMS_SUMMARY_CACHE_MIB" default:"64" help:"Members' history summaries kept in memory (in their stored encoding), in MiB."`
	GCHeapFloorMiB  int64            `name:"gc-heap-floor-mib" env:"RXCLAIMS_GC_HEAP_FLOOR_MIB" default:"256" help:"The Go heap may grow to this many MiB before a garbage collection, however small the live heap (at most half GOMEMLIMIT; 0: none; ignored when GOGC is set)."`
	WALSyncInterval time.Duration    `name:"wal-sync-interval" env:"RXCLAIMS_WAL_SYNC_INTERVAL" default:"250us" help:"Least time between two WAL syncs while other commits are in flight to share them (group commit); 0 syncs every commit's batch at once."`
	Policy          string           `name:"policy" env:"RXCLAIMS_POLICY" placeholder:"FILE" help:"Policy file granting callers their roles (YAML; see deploy/policy.yaml). Without it every caller has every role (development mode)."`
	PrintDemoConfig bool             `name:"print-demo-config" help:"Print the built-in demo data as a configuration bundle and exit."`
	Verify          bool             `name:"verify" help:"Check the store in --data-dir (every balance equals its claims' contributions; one paid claim per key; the audit trail's hash chain is unbroken) and exit; the server must be stopped."`
	BackupDir       string           `name:"backup-dir" env:"RXCLAIMS_BACKUP_DIR" placeholder:"DIR" help:"Where OperatorService.CreateBackup (adjctl backup) writes backups: an existing directory outside --data-dir, ideally on another volume. Unset: backups are off."`
	RestoreFrom     string           `name:"restore-from" placeholder:"BACKUP" help:"Restore the backup in BACKUP (a directory adjctl backup wrote) into --data-dir, which must be empty and unused, verify it as --verify does, and exit."`
	Version         kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

const description = "Serve pharmacy claim adjudication (NCPDP B1/B2/B3/E1) over gRPC. No member data is ever logged."

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f flags
	if _, err := cli.Parse("adjudicator", &f, args, stdout, stderr, kong.Description(description)); err != nil {
		return err
	}
	if f.Store != "" && !pgstore.IsDSN(f.Store) {
		return fmt.Errorf("--store: want a postgres:// or postgresql:// URL")
	}
	switch unfinished := store.CheckRestored(f.DataDir); {
	case f.PrintDemoConfig:
		return printDemoConfig(stdout)
	case f.Store != "" && f.RestoreFrom != "":
		return errors.New("--restore-from restores a Pebble backup; a PostgreSQL store is restored by the database's own means")
	case f.Store != "" && f.Verify:
		return verifyDatabase(ctx, f.Store, stdout)
	case f.RestoreFrom != "":
		return restoreStore(ctx, f.RestoreFrom, f.DataDir, stdout)
	case unfinished != nil:
		return unfinished
	case f.Verify:
		return verifyStore(ctx, f.DataDir, stdout)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if f.MaxInFlight < 0 {
		return fmt.Errorf("--max-claims-in-flight: %d is negative", f.MaxInFlight)
	}
	if f.BlockCacheMiB < 1 || f.MemTableMiB < 1 || f.MemTableMiB > 4096 || f.FamilyCache < 1 || f.DocumentCache < 1 {
		return errors.New("--block-cache-mib, --memtable-mib (at most 4096), --family-cache and --document-cache must be positive")
	}
	if f.SummaryCacheMiB < 1 || f.SummaryCacheMiB > 1<<20 {
		return fmt.Errorf("--summary-cache-mib: %d is not between 1 and 1048576", f.SummaryCacheMiB)
	}
	if f.GCHeapFloorMiB < 0 || f.GCHeapFloorMiB > 1<<20 {
		return fmt.Errorf("--gc-heap-floor-mib: %d is not between 0 and 1048576", f.GCHeapFloorMiB)
	}
	if f.WALSyncInterval < 0 || f.WALSyncInterval > 10*time.Millisecond {
		return fmt.Errorf("--wal-sync-interval: %s is not between 0 and 10ms", f.WALSyncInterval)
	}
	if f.RetroPoll < time.Second || f.RetroPoll > time.Hour {
		return fmt.Errorf("--retro-poll: %s is not between 1s and 1h", f.RetroPoll)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	tuneGC(ctx, log, f.GCHeapFloorMiB<<20)
	stopProfile, err := startCPUProfile(log)
	if err != nil {
		return err
	}
	defer stopProfile()
	return server.Run(ctx, server.Options{
		GRPCAddr: f.GRPCAddr, AdminAddr: f.AdminAddr, HealthAddr: f.HealthAddr, MetricsAddr: f.MetricsAddr, Pprof: f.Pprof, DataDir: f.DataDir, StoreDSN: f.Store,
		Config: chooseConfig(f.Config, log), Logger: log, BackupDir: f.BackupDir, PolicyFile: f.Policy,
		MaxClaimsInFlight: f.MaxInFlight, RetroPoll: f.RetroPoll, AfterRetroStep: retroHoldHook(ctx, log),
		Caches: server.Caches{BlockCacheBytes: f.BlockCacheMiB << 20, MemTableBytes: f.MemTableMiB << 20,
			FamilyCacheSize: f.FamilyCache, DocumentCacheSize: f.DocumentCache, SummaryCacheBytes: f.SummaryCacheMiB << 20,
			WALSyncInterval: walSyncInterval(f.WALSyncInterval)},
		Security: server.Security{
			TLSCert: f.TLSCert, TLSKey: f.TLSKey, ClientCA: f.TLSClientCA,
			JWKS: f.JWKS, JWTIssuer: f.JWTIssuer, JWTAudience: f.JWTAudience,
			Insecure: f.Insecure, Reflection: f.Reflection,
		},
	})
}

// chooseConfig is the configuration the server starts on: the bundle at
// path, or the built-in demo data when no path is given. It says which in
// the log.
func chooseConfig(path string, log *slog.Logger) server.ConfigSource {
	if path != "" {
		log.Info("configuration: bundle file", "source", path)
		return server.File(path)
	}
	log.Info("configuration: built-in demo data (no --config given)")
	return demoConfig()
}

// demoConfig is the built-in demo data: it seeds an empty store and is
// never imported over a configuration the store already holds.
func demoConfig() server.ConfigSource {
	return server.ConfigSource{
		Name:     "built-in demo data",
		Load:     func() (*config.Config, error) { return demo.Config(), nil },
		SeedOnly: true,
	}
}

func printDemoConfig(stdout io.Writer) error {
	b, err := config.Marshal(demo.Config())
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// verifyStore runs the store's consistency checks and reports them; it
// fails when any problem is found. It opens the store read-only, so it
// runs on a full disk too, and it stops when ctx ends (SIGTERM, Ctrl-C)
// or the store fails, whatever the store is doing.
func verifyStore(ctx context.Context, dir string, out io.Writer) error {
	// A mistyped directory must not pass as an empty, consistent one.
	if m, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*")); len(m) == 0 {
		return fmt.Errorf("--verify: %s holds no store", dir)
	}
	type result struct {
		rep   *store.Report
		audit *store.AuditReport
		err   error
	}
	done := make(chan result, 1)
	go func() {
		rep, audit, err := readVerify(dir)
		done <- result{rep, audit, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return fmt.Errorf("--verify interrupted: %w", ctx.Err()) // the process exits; the store was only read
	}
	if r.err != nil {
		return r.err
	}
	return report(r.rep, r.audit, dir, out)
}

// verifyDatabase runs the checks of --verify on a PostgreSQL store. The
// reads are one snapshot, so the servers may keep running.
func verifyDatabase(ctx context.Context, dsn string, out io.Writer) error {
	st, err := pgstore.Open(ctx, pgstore.Options{DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	audit, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	return report(rep, audit, "the database", out)
}

// report prints the checks' outcome; it fails when any problem was found.
func report(rep *store.Report, audit *store.AuditReport, what string, out io.Writer) error {
	fmt.Fprintf(out, "%d claims (%d paid, %d reversed), %d accumulator documents, %d problems\n",
		rep.Claims, rep.Paid, rep.Reversed, rep.Documents, len(rep.Problems))
	for _, p := range rep.Problems {
		fmt.Fprintln(out, "  ", p)
	}
	fmt.Fprintf(out, "audit trail: %d entries, head %s, %d problems\n", audit.Entries, audit.Head, len(audit.Problems))
	for _, p := range audit.Problems {
		fmt.Fprintln(out, "  ", p)
	}
	if len(rep.Problems)+len(audit.Problems) > 0 {
		return fmt.Errorf("store %s is inconsistent", what)
	}
	return nil
}

// readVerify opens the store in dir read-only and runs both checks.
func readVerify(dir string) (*store.Report, *store.AuditReport, error) {
	st, err := store.Open(store.Options{Dir: dir, ReadOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, nil, err
	}
	rep, err := st.Verify()
	var audit *store.AuditReport
	if err == nil {
		audit, err = st.VerifyAudit()
	}
	return rep, audit, errors.Join(err, st.Close())
}

// walSyncInterval is the store's WAL sync spacing for the flag's value:
// the flag's 0 (no spacing) is the store's negative.
func walSyncInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
