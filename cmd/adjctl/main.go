// Command adjctl manages the adjudicator's edits, configuration bundles
// and test claims through its AdminService.
//
//	adjctl --user alice edits create qty.json
//	adjctl --user bob edits activate QTY-10 1
//	adjctl edits list --status ACTIVE
//	adjctl bundle export bundle.yaml
//	adjctl test-claim claim.json --draft QTY-10:2
//
// Run adjctl --help for every command and flag; internal/adminctl does the
// work.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rxclaims/rxclaims/internal/adminctl"
	"github.com/rxclaims/rxclaims/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := adminctl.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, cli.ErrExited) {
		fmt.Fprintln(os.Stderr, "adjctl:", err)
		os.Exit(1)
	}
}
