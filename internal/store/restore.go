package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// RestoreMarker is the file Restore keeps in a data directory until the
// restored store has been verified (FinishRestore removes it). A data
// directory holding it is a restore that did not finish: CheckRestored
// refuses it, so no server starts on half a store.
const RestoreMarker = "RESTORE-INCOMPLETE"

var (
	// ErrInUse: a running process holds the target's store lock.
	ErrInUse = errors.New("in use by a running process")
	// ErrNotEmpty: the target holds files.
	ErrNotEmpty = errors.New("not empty")
	// ErrBackupCorrupt: a backup file is missing or does not match its checksum.
	ErrBackupCorrupt = errors.New("backup file does not match its manifest")
)

// Restore copies the backup in from (a directory Backup wrote: backup.json
// and store/) into the data directory dir, which must be absent or empty
// (a "lost+found" is allowed) and not locked by a running store. It checks
// every file's size and SHA-256 against the manifest while it copies, syncs
// each file and the directory, and holds the store lock meanwhile. It
// leaves RestoreMarker in dir: verify the store, then call FinishRestore.
// On an error it removes what it copied, leaving dir as it found it.
func Restore(ctx context.Context, from, dir string) (*BackupManifest, error) {
	m, err := ReadBackupManifest(from)
	if err != nil {
		return nil, err
	}
	lock, err := claimEmptyDir(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	marker := filepath.Join(dir, RestoreMarker)
	if err := writeFileAtomic(marker, fmt.Appendf(nil, "restoring %s, started %s\n", from, time.Now().UTC().Format(time.RFC3339))); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := copyBackup(ctx, filepath.Join(from, BackupStoreDir), dir, m); err != nil {
		return nil, errors.Join(err, removeRestored(dir, m))
	}
	return m, nil
}

// claimEmptyDir creates dir if needed, checks that no process holds its
// store lock and that it is empty, and returns the lock, held.
func claimEmptyDir(dir string) (io.Closer, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	lock, err := vfs.Default.Lock(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("restore: %s is %w (stop the server first): %w", dir, ErrInUse, err)
	}
	for _, e := range entries {
		if e.Name() != "lost+found" && e.Name() != "LOCK" {
			return nil, errors.Join(fmt.Errorf("restore: %s is %w (it holds %s): restore into a new, empty directory", dir, ErrNotEmpty, e.Name()), lock.Close())
		}
	}
	return lock, nil
}

// copyBackup copies each of m's files from src into dir, checking it, then
// syncs dir.
func copyBackup(ctx context.Context, src, dir string, m *BackupManifest) error {
	for _, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := copyChecked(filepath.Join(src, f.Name), filepath.Join(dir, f.Name), f); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// copyChecked copies one file, failing with ErrBackupCorrupt when what it
// read differs from want, and syncs the copy.
func copyChecked(src, dst string, want BackupFile) error {
	switch fi, err := os.Lstat(src); {
	case err != nil:
		return fmt.Errorf("restore: %w: %s is missing: %w", ErrBackupCorrupt, want.Name, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("restore: %w: %s is not a regular file (%s)", ErrBackupCorrupt, want.Name, fi.Mode().Type())
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("restore: %w: %w", ErrBackupCorrupt, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if err = errors.Join(err, out.Close()); err != nil {
		return fmt.Errorf("restore: %s: %w", want.Name, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != want.Bytes || sum != want.SHA256 {
		return fmt.Errorf("restore: %w: %s has %d bytes, SHA-256 %s; the manifest says %d bytes, %s",
			ErrBackupCorrupt, want.Name, n, sum, want.Bytes, want.SHA256)
	}
	return nil
}

// removeRestored removes the files Restore may have created in dir.
func removeRestored(dir string, m *BackupManifest) error {
	var errs []error
	for _, f := range m.Files {
		if err := os.Remove(filepath.Join(dir, f.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, RestoreMarker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errors.Join(errs...), syncDir(dir))
}

// FinishRestore removes RestoreMarker from dir once its store is verified.
func FinishRestore(dir string) error {
	if err := os.Remove(filepath.Join(dir, RestoreMarker)); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return syncDir(dir)
}

// CheckRestored fails when dir holds an unfinished restore (RestoreMarker).
func CheckRestored(dir string) error {
	if _, err := os.Lstat(filepath.Join(dir, RestoreMarker)); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	return fmt.Errorf("%s holds an unfinished restore (%s): delete the directory's contents and restore again", dir, RestoreMarker)
}
