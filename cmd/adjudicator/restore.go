package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rxclaims/rxclaims/internal/store"
)

// restoreStore restores the backup in from into the data directory dir
// (absent or empty, and no server running on it), runs the checks of
// --verify on the result, and only then marks the restore finished: until
// then store.RestoreMarker keeps a server, and --verify, off the directory.
func restoreStore(ctx context.Context, from, dir string, out io.Writer) error {
	m, err := store.Restore(ctx, from, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "restored backup %s (begun %s, written by %s): %d files, %d bytes, checksums match; the manifest counts %d claims\n",
		m.Name, m.CreatedAt.Format(time.RFC3339), m.ServerVersion, len(m.Files), m.Bytes, m.Claims)
	if err := verifyStore(ctx, dir, out); err != nil {
		return fmt.Errorf("the restored store did not verify, so %s keeps %s and no server will start on it: %w", dir, store.RestoreMarker, err)
	}
	if err := store.FinishRestore(dir); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s is ready: start the server on it\n", dir)
	return nil
}
