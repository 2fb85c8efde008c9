package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// A backup is a directory holding the store as a Pebble checkpoint and a
// manifest beside it:
//
//	NAME/backup.json   the BackupManifest (format, time, counts, checksums)
//	NAME/store/        the checkpoint: what Restore copies into a data directory
//
// Backup writes it under a temporary name in the same root and renames it
// into place only when complete, so a NAME directory with a backup.json is
// always a whole backup; a crash or error leaves at most a hidden
// ".incomplete-NAME-*" directory, which is safe to delete.
const (
	// BackupFormat names the layout above; Restore reads only this one.
	BackupFormat = "rxclaims-backup/1"
	// BackupManifestFile is the manifest's name in a backup directory.
	BackupManifestFile = "backup.json"
	// BackupStoreDir is the checkpoint's name in a backup directory.
	BackupStoreDir = "store"
)

var (
	// ErrBackupName: the name is not one plain path element.
	ErrBackupName = errors.New("store: invalid backup name")
	// ErrBackupExists: the name is taken by a file or a non-empty directory.
	ErrBackupExists = errors.New("store: backup already exists")
)

// BackupManifest describes a backup; it is written as backup.json.
type BackupManifest struct {
	Format     string    `json:"format"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`  // when the backup began: every claim acknowledged before is in it
	FinishedAt time.Time `json:"finished_at"` // when its files were checksummed
	// ServerVersion is the release that wrote the backup.
	ServerVersion string `json:"server_version,omitempty"`
	// PebbleFormat is the store's Pebble format major version; a release
	// whose Pebble does not know it cannot restore the backup.
	PebbleFormat uint64 `json:"pebble_format_major_version"`
	// Claims counts the claim records in the backup; LastClaimID is the
	// newest of them (claim IDs are time-ordered).
	Claims      int64        `json:"claims"`
	LastClaimID string       `json:"last_claim_id,omitempty"`
	Bytes       int64        `json:"bytes"` // the store files' total size
	Files       []BackupFile `json:"files"` // every file of store/, by name
}

// BackupFile is one file of a backup's store directory.
type BackupFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// BackupOptions say where a backup goes.
type BackupOptions struct {
	// Root is the backup root (the server's --backup-dir): an existing
	// directory. The backup is written to Root/Name.
	Root string
	// Name is one path element (see ValidBackupName); empty means
	// "backup-" and the UTC time.
	Name string
	// ServerVersion is recorded in the manifest.
	ServerVersion string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

var backupNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidBackupName reports whether name is a usable backup name: one path
// element of letters, digits, '.', '_' and '-', not starting with '.' and at
// most 128 bytes. No name can reach outside the backup root.
func ValidBackupName(name string) bool { return backupNameRE.MatchString(name) }

// CheckBackupRoot returns root as an absolute, symlink-free path after
// checking that it is an existing directory that neither holds nor lies
// inside the data directory dataDir.
func CheckBackupRoot(root, dataDir string) (string, error) {
	r, err := realPath(root)
	if err != nil {
		return "", fmt.Errorf("backup directory: %w", err)
	}
	if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("backup directory %s is not a directory", root)
	}
	d, err := realPath(dataDir)
	if err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	if within(r, d) || within(d, r) {
		return "", fmt.Errorf("backup directory %s and data directory %s must not contain one another", root, dataDir)
	}
	return r, nil
}

// realPath is path made absolute with its symlinks resolved; a missing
// path is absolute only.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}

// within reports whether path is dir or lies inside it (both clean and absolute).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// Backup writes a consistent copy of the open store to o.Root/o.Name while
// the store keeps serving (see BackupFormat for the layout). Every write
// committed before Backup is called is in the copy. It fails with
// ErrBackupName or ErrBackupExists before writing anything, and removes
// everything it wrote on any later error (a full disk, ctx done).
func (s *Store) Backup(ctx context.Context, o BackupOptions) (*BackupManifest, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if err := s.health.err(); err != nil {
		return nil, err // a checkpoint would write to the failed store's WAL
	}
	m := &BackupManifest{Format: BackupFormat, Name: o.Name, CreatedAt: now().UTC(), ServerVersion: o.ServerVersion}
	if m.Name == "" {
		m.Name = "backup-" + m.CreatedAt.Format("20060102T150405Z")
	}
	final, err := backupTarget(o.Root, m.Name)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(o.Root, ".incomplete-"+m.Name+"-")
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	if err := s.writeBackup(ctx, tmp, m, now); err != nil {
		return nil, errors.Join(err, os.RemoveAll(tmp))
	}
	// backupTarget allowed an empty directory, which os.Rename will not
	// replace: remove it (a directory filled meanwhile stays, and the
	// rename then fails).
	if err := os.Remove(final); err != nil && !errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("%w: %s is not empty (%w)", ErrBackupExists, m.Name, err)
		return nil, errors.Join(err, os.RemoveAll(tmp))
	}
	if err := os.Rename(tmp, final); err != nil {
		err = fmt.Errorf("%w: %s appeared while the backup ran (%w)", ErrBackupExists, m.Name, err)
		return nil, errors.Join(err, os.RemoveAll(tmp))
	}
	if err := syncDir(o.Root); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	return m, nil
}

// backupTarget is root/name after checking the name and that nothing but
// an empty directory is there.
func backupTarget(root, name string) (string, error) {
	if !ValidBackupName(name) {
		return "", fmt.Errorf("%w %q: want one path element of letters, digits, '.', '_' and '-' that starts with a letter or digit", ErrBackupName, name)
	}
	final := filepath.Join(root, name)
	fi, err := os.Lstat(final)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return final, nil
	case err != nil:
		return "", fmt.Errorf("store: backup: %w", err)
	case !fi.IsDir():
		return "", fmt.Errorf("%w: %s is not a directory", ErrBackupExists, name)
	}
	entries, err := os.ReadDir(final)
	if err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("%w: %s is not empty", ErrBackupExists, name)
	}
	return final, nil
}

// writeBackup writes the checkpoint and the manifest into dir.
func (s *Store) writeBackup(ctx context.Context, dir string, m *BackupManifest, now func() time.Time) error {
	storeDir := filepath.Join(dir, BackupStoreDir)
	// Every claim is committed with sync, so the WAL already holds what was
	// acknowledged; flushing it first costs one empty synced record and
	// keeps the promise should that ever change.
	if err := s.db.Checkpoint(storeDir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.inspectCheckpoint(storeDir, m); err != nil {
		return err
	}
	if err := checksumFiles(ctx, storeDir, m); err != nil {
		return err
	}
	m.FinishedAt = now().UTC()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, BackupManifestFile), append(b, '\n'))
}

// inspectCheckpoint fills in the claim count, the newest claim ID and the
// format version from the checkpoint itself, opened read-only.
func (s *Store) inspectCheckpoint(dir string, m *BackupManifest) error {
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, Logger: pebbleLogger{newHealth(s.opts.Logger)}})
	if err != nil {
		return fmt.Errorf("store: open checkpoint: %w", err)
	}
	m.PebbleFormat = uint64(db.FormatMajorVersion())
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: claimPrefix, UpperBound: []byte("c\x01")})
	if err != nil {
		return errors.Join(err, db.Close())
	}
	for it.First(); it.Valid(); it.Next() {
		m.Claims++
	}
	if it.Last() {
		m.LastClaimID = string(it.Key()[len(claimPrefix):])
	}
	return errors.Join(it.Error(), it.Close(), db.Close())
}

// checksumFiles lists every file of dir in m with its size and SHA-256,
// syncing each, then syncs dir.
func checksumFiles(ctx context.Context, dir string, m *BackupManifest) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "LOCK" {
			continue // a lock file holds nothing
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("store: checkpoint holds %s, not a regular file", e.Name())
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := hashFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
		m.Bytes += f.Bytes
	}
	return syncDir(dir)
}

// hashFile returns the size and SHA-256 of a file, which it syncs.
func hashFile(path string) (BackupFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return BackupFile{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return BackupFile{}, fmt.Errorf("store: %s: %w", filepath.Base(path), err)
	}
	return BackupFile{Name: filepath.Base(path), Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// ReadBackupManifest reads and checks the manifest of the backup in dir: a
// known format, file names that are plain and unique.
func ReadBackupManifest(dir string) (*BackupManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, BackupManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a backup: %w", dir, err)
	}
	m := &BackupManifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %w", BackupManifestFile, err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("%s: format %q, this release reads %q", BackupManifestFile, m.Format, BackupFormat)
	}
	if m.PebbleFormat > uint64(pebble.FormatNewest) {
		return nil, fmt.Errorf("%s: the store's format version %d is newer than this release's (%d): restore with the release that wrote it (%s)",
			BackupManifestFile, m.PebbleFormat, uint64(pebble.FormatNewest), m.ServerVersion)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !plainFileName(f.Name) || seen[f.Name] {
			return nil, fmt.Errorf("%s: file name %q is not a plain, unique store file name", BackupManifestFile, f.Name)
		}
		seen[f.Name] = true
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("%s lists no files", BackupManifestFile)
	}
	return m, nil
}

// plainFileName reports whether name is a file name a store directory may
// hold: one path element, not a lock or a restore marker.
func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`+"\x00") &&
		!slices.Contains([]string{"LOCK", RestoreMarker}, name)
}

// writeFileAtomic writes b to path through a synced temporary file renamed
// into place, then syncs the directory.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory, making the entries created in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
