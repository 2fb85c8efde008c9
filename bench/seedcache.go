package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// The seed cache (Options.SeedCache) keeps each store that seeding the
// history produced, in a directory named for everything that decides its
// content: the bundle's bytes, the generator's seed and window and the
// number of history claims. A later run of the same population takes a
// copy instead of billing the history again (at 10M claims, 40 minutes
// of the machine), and advances its generator past the same claims, so
// the warm-up and the measured steps send what they would have sent after
// seeding. The copy hard-links the SST files, which Pebble never changes
// once written, and copies every other file (the WAL, the manifest),
// which it does; the server's store is then its own.

// seedMeta is what a cached store records of its seeding.
type seedMeta struct {
	Key      string    `json:"key"`
	SeededAt time.Time `json:"seeded_at"`
	Build    string    `json:"build"` // the bench's VCS revision, as the go command stamped it
	Setup    Setup     `json:"setup"` // the seeding's figures and answers
}

const seedMetaFile = "seeded.json"

// seedKey names a seeded store by what decides its content.
func seedKey(bundle string, seed uint64, window, history int) (string, error) {
	f, err := os.Open(bundle)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	// settled: stores seeded before the seeding waited for its compactions
	// (settleCompactions) are not reused.
	fmt.Fprintf(h, "\x00seed=%d window=%d history=%d settled", seed, window, history)
	return fmt.Sprintf("h%d-%s", history, hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// seedHistoryCached puts a store seeded with n history claims in dataDir:
// a copy of the cached one, or one seeded now into the cache first.
func (s *session) seedHistoryCached(ctx context.Context, dataDir, bundle, what string, n, window int) error {
	key, err := seedKey(bundle, s.o.Seed, window, n)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.o.SeedCache, key)
	b, err := os.ReadFile(filepath.Join(dir, seedMetaFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := s.seedIntoCache(ctx, dir, key, bundle, what, n); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		var m seedMeta
		if err := json.Unmarshal(b, &m); err != nil || m.Key != key {
			return fmt.Errorf("bench: seed cache %s: %s is not a seeded store's record (%v)", dir, seedMetaFile, err)
		}
		for range n { // the claims the seeding sent, so what follows is the same
			s.gen.next()
		}
		s.setup.HistorySeconds, s.setup.HistoryThroughput, s.setup.HistoryCPUPerClaim = m.Setup.HistorySeconds, m.Setup.HistoryThroughput, m.Setup.HistoryCPUPerClaim
		s.setup.Status, s.setup.Rejects = m.Setup.Status, m.Setup.Rejects
		s.setup.HistoryPath = fmt.Sprintf("%s, seeded %s by build %s and reused from the seed cache (%s)",
			historyInProcess, m.SeededAt.Format(time.RFC3339), m.Build, key)
	}
	return cloneStore(filepath.Join(dir, "data"), dataDir)
}

// seedIntoCache seeds a store in a directory beside dir and renames it to
// dir once it and its record are synced: a seeding stopped half-way
// leaves no entry behind that a later run would take for a whole one.
func (s *session) seedIntoCache(ctx context.Context, dir, key, bundle, what string, n int) error {
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if err := s.seedHistory(ctx, filepath.Join(tmp, "data"), bundle, what, n); err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	b, err := json.MarshalIndent(seedMeta{Key: key, SeededAt: time.Now().UTC(), Build: buildRevision(), Setup: s.setup}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, seedMetaFile), b, 0o644); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return syncTree(filepath.Dir(dir))
}

// cloneStore copies the store in src to dst (which must not exist yet),
// hard-linking SST files and copying the rest, and syncs it.
func cloneStore(src, dst string) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case strings.HasSuffix(path, ".sst") && os.Link(path, to) == nil:
			return nil
		default:
			return copyFile(path, to)
		}
	})
	if err != nil {
		return fmt.Errorf("bench: copying the seeded store: %w", err)
	}
	return syncTree(dst)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// buildRevision is the VCS revision the go command stamped into this
// binary ("unknown" for go test and go run without it).
func buildRevision() string {
	rev, dirty := "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, st := range bi.Settings {
			switch st.Key {
			case "vcs.revision":
				rev = st.Value[:min(12, len(st.Value))]
			case "vcs.modified":
				dirty = st.Value == "true"
			}
		}
	}
	if dirty {
		rev += "+changes"
	}
	return rev
}
