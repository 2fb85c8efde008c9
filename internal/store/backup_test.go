package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/accumulators"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/storetest"
)

// commitClaims commits n paid claims, each with its member document, and
// returns their IDs.
func commitClaims(t *testing.T, s *store.Store, first, n int) []string {
	t.Helper()
	var ids []string
	total := dec("0")
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("c%06d", i)
		r := record(id, fmt.Sprint(1000+i), fmt.Sprintf("FAM%06d", i))
		r.Contributions = []accumulators.Contribution{{Scope: accumulators.Member, Kind: accumulators.Deductible, Segment: retailIn, Amount: dec("1.25")}}
		total = dec("1.25")
		d := &accumulators.Doc{}
		d.Add(accumulators.Bucket{Kind: accumulators.Deductible, Segment: retailIn}, total)
		c := &adjudicator.Commit{Records: []*adjudicator.ClaimRecord{r}, Index: r,
			Docs: []adjudicator.DocWrite{{Scope: accumulators.Member, ID: adjudicator.MemberID(r.CardholderID, r.PersonCode), Period: storetest.Period, Doc: d}}}
		if err := s.Commit(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestBackupAndRestore: a backup of an open store holds every claim
// committed before it, with a manifest that lists its files; the store
// keeps taking writes; a restore into an empty directory opens, verifies
// clean and holds exactly those claims.
func TestBackupAndRestore(t *testing.T) {
	s := openTemp(t, store.Options{})
	before := commitClaims(t, s, 0, 200)
	root := t.TempDir()
	m, err := s.Backup(ctx, store.BackupOptions{Root: root, Name: "b1", ServerVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	after := commitClaims(t, s, 200, 5) // the store still takes writes
	if m.Claims != int64(len(before)) || m.LastClaimID != before[len(before)-1] || m.Format != store.BackupFormat || len(m.Files) == 0 || m.Bytes <= 0 {
		t.Errorf("manifest: %d claims, last %q, format %q, %d files, %d bytes", m.Claims, m.LastClaimID, m.Format, len(m.Files), m.Bytes)
	}
	onDisk, err := store.ReadBackupManifest(filepath.Join(root, "b1"))
	if err != nil || onDisk.Claims != m.Claims || len(onDisk.Files) != len(m.Files) {
		t.Fatalf("backup.json: %+v %v", onDisk, err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("backup root holds %d entries, want only b1", len(entries))
	}

	data := filepath.Join(t.TempDir(), "restored")
	if _, err := store.Restore(ctx, filepath.Join(root, "b1"), data); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckRestored(data); err == nil {
		t.Error("CheckRestored passes before FinishRestore")
	}
	if err := store.FinishRestore(data); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckRestored(data); err != nil {
		t.Error(err)
	}
	r := open(t, data, store.Options{})
	defer r.Close()
	for _, id := range before {
		if rec, err := r.Claim(id); err != nil || rec == nil {
			t.Fatalf("claim %s committed before the backup is not restored (%v)", id, err)
		}
	}
	for _, id := range after {
		if rec, _ := r.Claim(id); rec != nil {
			t.Errorf("claim %s committed after the backup is restored", id)
		}
	}
	rep, err := r.Verify()
	if err != nil || len(rep.Problems) > 0 || rep.Claims != len(before) {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// TestBackupRefusals: names that are not one plain path element, and
// targets that exist as a file, a symlink or a non-empty directory, are
// refused before anything is written; an empty directory is taken; an
// empty name is the time.
func TestBackupRefusals(t *testing.T) {
	s := openTemp(t, store.Options{})
	commitClaims(t, s, 0, 3)
	root := t.TempDir()
	outside := t.TempDir()
	for _, name := range []string{"..", "../escape", "/abs", "a/b", ".hidden", "a\x00b", filepath.Join("..", filepath.Base(outside))} {
		if _, err := s.Backup(ctx, store.BackupOptions{Root: root, Name: name}); !errors.Is(err, store.ErrBackupName) {
			t.Errorf("name %q: %v, want ErrBackupName", name, err)
		}
	}
	must(t, os.WriteFile(filepath.Join(root, "file"), nil, 0o600))
	must(t, os.Mkdir(filepath.Join(root, "full"), 0o700))
	must(t, os.WriteFile(filepath.Join(root, "full", "x"), nil, 0o600))
	must(t, os.Symlink(outside, filepath.Join(root, "link")))
	for _, name := range []string{"file", "full", "link"} {
		if _, err := s.Backup(ctx, store.BackupOptions{Root: root, Name: name}); !errors.Is(err, store.ErrBackupExists) {
			t.Errorf("name %q: %v, want ErrBackupExists", name, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("a backup went through the symlink: %v", entries)
	}
	must(t, os.Mkdir(filepath.Join(root, "empty"), 0o700))
	if _, err := s.Backup(ctx, store.BackupOptions{Root: root, Name: "empty"}); err != nil {
		t.Errorf("empty directory: %v", err)
	}
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	m, err := s.Backup(ctx, store.BackupOptions{Root: root, Now: func() time.Time { return at }})
	if err != nil || m.Name != "backup-20261120T120000Z" {
		t.Errorf("default name: %+v %v", m, err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 5 { // file, full, link, empty and the default; nothing hidden left
		t.Errorf("backup root: %v", entries)
	}
	if _, err := store.CheckBackupRoot(root, filepath.Join(root, "data")); err == nil {
		t.Error("a data directory inside the backup root is accepted")
	}
	if _, err := store.CheckBackupRoot(filepath.Join(outside, "none"), root); err == nil {
		t.Error("a missing backup root is accepted")
	}
}

// TestRestoreRefusals: a target in use or not empty, a corrupt file and a
// hostile manifest are refused, and the target is left as found.
func TestRestoreRefusals(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	commitClaims(t, s, 0, 20)
	root := t.TempDir()
	if _, err := s.Backup(ctx, store.BackupOptions{Root: root, Name: "b"}); err != nil {
		t.Fatal(err)
	}
	from := filepath.Join(root, "b")
	if _, err := store.Restore(ctx, from, dir); !errors.Is(err, store.ErrInUse) {
		t.Errorf("restore onto the open store: %v, want ErrInUse", err)
	}
	must(t, s.Close())
	if _, err := store.Restore(ctx, from, dir); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("restore onto a stopped store: %v, want ErrNotEmpty", err)
	}

	// One flipped byte in a store file.
	m, err := store.ReadBackupManifest(from)
	if err != nil {
		t.Fatal(err)
	}
	largest := m.Files[0]
	for _, f := range m.Files {
		if f.Bytes > largest.Bytes {
			largest = f
		}
	}
	victim := filepath.Join(from, store.BackupStoreDir, largest.Name)
	b, err := os.ReadFile(victim)
	if err != nil || len(b) == 0 {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	must(t, os.Remove(victim)) // it may be a hard link to the live store's file
	must(t, os.WriteFile(victim, b, 0o600))
	target := t.TempDir()
	must(t, os.Mkdir(filepath.Join(target, "lost+found"), 0o700))
	if _, err := store.Restore(ctx, from, target); !errors.Is(err, store.ErrBackupCorrupt) {
		t.Errorf("corrupt file: %v, want ErrBackupCorrupt", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 2 { // lost+found and LOCK
		t.Errorf("a failed restore left %v", entries)
	}

	// A store file replaced by a symlink to a file elsewhere.
	must(t, os.Remove(victim))
	must(t, os.Symlink(filepath.Join(from, store.BackupManifestFile), victim))
	if _, err := store.Restore(ctx, from, target); !errors.Is(err, store.ErrBackupCorrupt) {
		t.Errorf("symlinked file: %v, want ErrBackupCorrupt", err)
	}

	// A manifest naming a file outside the store directory.
	m.Files[0].Name = "../backup.json"
	j, _ := json.Marshal(m)
	must(t, os.WriteFile(filepath.Join(from, store.BackupManifestFile), j, 0o600))
	if _, err := store.Restore(ctx, from, target); err == nil {
		t.Error("a manifest naming ../backup.json is accepted")
	}
	if _, err := store.Restore(ctx, t.TempDir(), target); err == nil {
		t.Error("a directory without backup.json is accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
