package loader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/loader/state"
)

// Journal returns a file's journal entries in order.
func (l *Loader) Journal(group string, seq uint64) ([]state.JournalEntry, error) {
	return state.ReadJournal(l.db, group, seq)
}

// ErrRewinding is returned for work on a group whose rewind has not finished.
var ErrRewinding = errors.New("the group is being rewound")

// Rewind undoes file group/seq and every later file of the group, newest
// first, each change in reverse order, back to the state after the last
// good file before it. The group is locked (it takes no new file) from the
// start of the rewind to its end, across restarts.
func (l *Loader) Rewind(ctx context.Context, group string, seq uint64) error {
	f, err := l.File(group, seq)
	if err != nil {
		return err
	}
	if f == nil {
		return fmt.Errorf("no file %s/%d", group, seq)
	}
	switch f.Status {
	case Completed, Processing, Rewinding:
	default:
		return fmt.Errorf("file %s is %s: only a Completed or interrupted file can be rewound", f.Ref(), f.Status)
	}
	if locked, ok, err := l.Locked(group); err != nil {
		return err
	} else if ok && locked != seq {
		return fmt.Errorf("%w: file %s/%d first", ErrRewinding, group, locked)
	}
	b := l.db.NewBatch()
	if err := b.Set(state.LockKey(group), []byte(state.U64(seq)), nil); err != nil {
		b.Close()
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		b.Close()
		return err
	}
	b.Close()
	return l.rewind(ctx, group, seq)
}

// resumeRewinds finishes interrupted rewinds. A rewind that fails stops
// its group (returned with its error), not the others.
func (l *Loader) resumeRewinds(ctx context.Context) (map[string]error, error) {
	var groups []string
	var seqs []uint64
	err := state.Scan(l.db, "lock"+state.Sep, false, func(k, v []byte) error {
		groups = append(groups, string(k[len("lock"+state.Sep):]))
		seqs = append(seqs, state.ReadU64(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	blocked := map[string]error{}
	for i := range groups {
		if err := l.rewind(ctx, groups[i], seqs[i]); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			blocked[groups[i]] = fmt.Errorf("resuming the rewind of %s/%d: %w", groups[i], seqs[i], err)
		}
	}
	return blocked, nil
}

// rewind undoes the files of group from the newest down to seq, then unlocks.
func (l *Loader) rewind(ctx context.Context, group string, seq uint64) error {
	files, err := l.Files(group)
	if err != nil {
		return err
	}
	for i := len(files) - 1; i >= 0; i-- {
		f := &files[i]
		if f.Seq < seq {
			break
		}
		switch f.Status {
		case Completed, Processing, Rewinding:
			if err := l.undoFile(ctx, f); err != nil {
				return err
			}
		}
	}
	b := l.db.NewBatch()
	defer b.Close()
	if err := b.Delete(state.LockKey(group), nil); err != nil {
		return err
	}
	l.notify()
	return b.Commit(pebble.Sync)
}

// undoFile undoes a file's journal, last entry first, one chunk per commit:
// each undone entry is deleted in the commit that restores its before image.
func (l *Loader) undoFile(ctx context.Context, f *FileStatus) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f.Status = Rewinding
	if err := l.putFile(f); err != nil {
		return err
	}
	bar := l.progress("rewind "+f.Ref(), int(f.Journal))
	defer bar.Done()
	for chunks := 1; ; chunks++ {
		c := l.newChunk(f)
		done, err := l.undoChunk(c, f)
		if err != nil {
			c.b.Close()
			return err
		}
		n := c.n
		if err := c.commit(); err != nil {
			return err
		}
		bar.Add(n)
		if l.opts.failAfterChunks > 0 && chunks >= l.opts.failAfterChunks && !done {
			return errCrash
		}
		if done {
			l.metrics.file(f)
			return writeReportFor(l, f)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// undoChunk puts into c the undoing of up to a chunk of f's journal,
// newest first, and the versions of the families it touched; it reports
// whether the journal is done (and then finishes the rewind in c).
func (l *Loader) undoChunk(c *chunk, f *FileStatus) (bool, error) {
	prefix := state.FileScoped("j", f.Group, f.Seq)
	err := state.Scan(l.db, prefix, true, func(k, v []byte) error {
		if err := c.undoEntry(k, v); err != nil {
			return err
		}
		if c.n >= l.opts.ChunkSize {
			return state.ErrStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, state.ErrStop) {
		return false, err
	}
	if f.Group != catalogGroup {
		for family := range c.touched {
			if err := c.rewindVersion(family); err != nil {
				return false, err
			}
		}
	}
	if c.n >= l.opts.ChunkSize {
		return false, nil
	}
	return true, l.finishRewind(c, f)
}

// undoEntry restores journal entry k's before image and deletes the entry.
func (c *chunk) undoEntry(k, v []byte) error {
	var e state.JournalEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return err
	}
	key, touched := state.MemberKey(c.f.Group, e.Cardholder, e.Person), e.Cardholder
	if e.Key != nil {
		key, touched = e.Key, string(e.Key)
	}
	var err error
	if e.Before == nil {
		err = c.b.Delete(key, nil)
	} else {
		err = c.b.Set(key, e.Before, nil)
	}
	if err != nil {
		return err
	}
	if err := c.b.Delete(k, nil); err != nil {
		return err
	}
	c.touched[touched] = true
	c.n++
	return nil
}

// finishRewind marks f rewound in c: its pending copies discarded, its
// checksum free (the same file may be sent again), its retro notes gone.
func (l *Loader) finishRewind(c *chunk, f *FileStatus) error {
	if err := c.discardPending(); err != nil {
		return err
	}
	f.Status, f.Outcome = Rewound, OutcomeRewound
	f.Finished = l.opts.Now().UTC()
	if f.Checksum != "" {
		if err := c.b.Delete(state.SumKey(f.Checksum), nil); err != nil {
			return err
		}
	}
	rp := state.FileScoped("r", f.Group, f.Seq)
	return c.b.DeleteRange([]byte(rp), state.Upper(rp), nil)
}

// writeReportFor rewrites an archived file's report after a rewind.
func writeReportFor(l *Loader, f *FileStatus) error {
	if f.Archived == "" {
		return nil
	}
	bad, err := l.RecordErrors(f.Group, f.Seq, maxReported)
	if err != nil {
		return err
	}
	return writeReport(f.Archived, f, bad)
}

// KeptFamilies lists the families the rewind of group/seq left with no
// member that the adjudicator kept, with no coverage, because they have
// paid claims (known once the rewind's batches are synced).
func (l *Loader) KeptFamilies(group string, seq uint64) ([]string, error) {
	var out []string
	prefix := state.FileScoped("kept", group, seq)
	err := state.Scan(l.db, prefix, false, func(k, _ []byte) error {
		out = append(out, string(k[len(prefix):]))
		return nil
	})
	return out, err
}
