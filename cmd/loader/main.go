// Command loader is the sidecar that stages group intake files (family
// records), drug, pharmacy and network files and syncs them into the
// adjudicator through its EnrollmentService.
//
//	loader run --dir /var/lib/loader --profiles profiles.yaml --adjudicator localhost:50051
//	loader apply families.csv --profiles profiles.yaml
//	loader status --group GRP100
//	loader rewind --group GRP100 --seq 3
//	loader retro --group GRP100 --seq 4 --reverse
//	loader bench --records 1000000
//	loader policy pending --group GRP100
//	loader policy approve --group GRP100 --family LDR001 --user olivia
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rxclaims/rxclaims/loader"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := loader.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loader:", err)
		os.Exit(1)
	}
}
