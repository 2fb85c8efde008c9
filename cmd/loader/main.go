// Command loader is the sidecar that stages group intake files (family
// records), drug, pharmacy and network files and syncs them into the
// adjudicator through its EnrollmentService.
//
//	loader run --dir /var/lib/loader --profiles profiles.yaml --adjudicator localhost:50052 --tls-ca ca.crt --tls-cert tls.crt --tls-key tls.key
//	loader apply families.csv --profiles profiles.yaml
//	loader policy change --group GRP100 --family LDR001 --person 001 --user mark --profiles profiles.yaml management=Y
//	loader status --group GRP100
//	loader rewind --group GRP100 --seq 3
//	loader retro --group GRP100 --seq 4 --readjudicate
//	loader bench --records 1000000
//	loader policy pending --group GRP100
//	loader policy approve --group GRP100 --family LDR001 --user olivia --profiles profiles.yaml
//
// This package holds the command line (flags and environment), dialling
// the adjudicator, the metrics server and signal handling; the work is the
// loader package's.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/rxclaims/rxclaims/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the command, returning the exit code (0 after
// --help and --version).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c CLI
	kctx, err := cli.Parse("loader", &c, args, stdout, stderr,
		kong.Description("The loader sidecar: stages intake files, applies them to its own state and syncs them to the adjudicator."),
		kong.UsageOnError(),
		kong.BindTo(ctx, (*context.Context)(nil)),
	)
	if errors.Is(err, cli.ErrExited) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loader:", err)
		return 2
	}
	c.stdout, c.stderr = stdout, stderr
	if err := kctx.Run(&c.Globals); err != nil {
		// The loader package's own errors already name it.
		fmt.Fprintln(stderr, "loader:", strings.TrimPrefix(err.Error(), "loader: "))
		return 1
	}
	return 0
}
