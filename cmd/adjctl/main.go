// Command adjctl manages the adjudicator's edits, configuration bundles
// and test claims through its AdminService.
//
//	adjctl --user alice edits create qty.json
//	adjctl --user bob edits activate QTY-10 1
//	adjctl edits list --status ACTIVE
//	adjctl bundle export bundle.yaml
//	adjctl test-claim claim.json --draft QTY-10:2
//
// Run adjctl -h for every command and flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rxclaims/rxclaims/internal/adminctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := adminctl.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "adjctl:", err)
		os.Exit(1)
	}
}
