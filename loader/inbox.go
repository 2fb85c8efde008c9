package loader

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/rxclaims/rxclaims/loader/state"
)

// The inbox scan. A file is staged once all its records have arrived; one
// whose records stop arriving (cut short, or its sender died) is rejected
// after the loading timeout, and so is one whose header line never comes.
// Files the loader does not take (other extensions) stay, and are counted.
// A file that fails stops its own group's later files, which must apply in
// order, and nothing else.

// Inbox file states, the `state` label of the inbox metrics.
const (
	inboxLoading  = "loading"   // registered, records still arriving
	inboxNoHeader = "no_header" // the header line has not arrived
	inboxUnknown  = "unknown"   // a name the loader does not take
)

// inboxSeen is what a scan remembers of an inbox file it cannot register
// (no header yet, or a name it does not take): since when it has been
// there unchanged.
type inboxSeen struct {
	size  int64
	since time.Time
}

// inboxStats are one scan's counts by state, and the longest time a file
// of each state has gone without progress.
type inboxStats struct {
	files   map[string]int
	stalled map[string]time.Duration
}

func (s *inboxStats) add(st string, stalled time.Duration) {
	s.files[st]++
	s.stalled[st] = max(s.stalled[st], stalled)
}

// ScanInbox stages every file in the inbox and processes the complete
// ones, oldest first, then any file left unfinished. It returns the files
// it touched, and the errors of files that failed, each naming its file:
// one file's error stops nothing else.
func (l *Loader) ScanInbox(ctx context.Context) ([]*FileStatus, error) {
	l.scanMu.Lock()
	defer l.scanMu.Unlock()
	entries, err := os.ReadDir(l.dirs.inbox)
	if err != nil {
		return nil, err
	}
	stats := inboxStats{files: map[string]int{}, stalled: map[string]time.Duration{}}
	seen := map[string]inboxSeen{}
	var out []*FileStatus
	var errs []error
	for _, e := range entries {
		f, err := l.scanEntry(e, &stats, seen)
		if err != nil {
			errs = append(errs, fmt.Errorf("staging %s: %w", e.Name(), err))
		}
		if f != nil {
			out = append(out, f)
		}
	}
	l.inboxSeen = seen
	l.metrics.inbox(stats)
	if err := l.Resume(ctx); err != nil {
		errs = append(errs, err)
	}
	for i, f := range out {
		if nf, err := l.File(f.Group, f.Seq); err == nil && nf != nil {
			out[i] = nf
		}
	}
	return out, errors.Join(errs...)
}

// scanEntry stages one inbox entry, counting it in stats and remembering
// in seen a file that has no header yet or a name the loader does not take.
func (l *Loader) scanEntry(e os.DirEntry, stats *inboxStats, seen map[string]inboxSeen) (*FileStatus, error) {
	name := e.Name()
	if e.IsDir() || name[0] == '.' { // directories, and hidden files (a copy in progress)
		return nil, nil
	}
	now := l.opts.Now().UTC()
	if formatOf(name) == "" {
		s := l.unchangedSince(e, now)
		seen[name] = s
		stats.add(inboxUnknown, now.Sub(s.since))
		return nil, nil
	}
	f, err := l.stage(name)
	switch {
	case err != nil:
		return nil, err
	case f == nil: // the header line has not arrived
		s := l.unchangedSince(e, now)
		if now.Sub(s.since) >= l.opts.LoadingTimeout {
			f := &FileStatus{Group: unknownGroup, Name: name, Format: formatOf(name), Received: now}
			reason := fmt.Sprintf("the header line did not arrive within the loading timeout (%s)", l.opts.LoadingTimeout)
			return f, l.reject(f, l.inboxPath(name), reason, nil)
		}
		seen[name] = s
		stats.add(inboxNoHeader, now.Sub(s.since))
	case f.Status == Loading:
		stats.add(inboxLoading, now.Sub(f.LastArrival))
	}
	return f, nil
}

// unchangedSince returns since when the entry has had its size, as far as
// this process has seen.
func (l *Loader) unchangedSince(e os.DirEntry, now time.Time) inboxSeen {
	var size int64 = -1
	if fi, err := e.Info(); err == nil {
		size = fi.Size()
	}
	if s, ok := l.inboxSeen[e.Name()]; ok && s.size == size {
		return s
	}
	return inboxSeen{size: size, since: now}
}

// stageLoading records a file whose records are still arriving, and
// rejects it when none has arrived for the loading timeout.
func (l *Loader) stageLoading(f *FileStatus, path string, n int) error {
	now := l.opts.Now().UTC()
	changed := f.Status != Loading || n != f.Counts.Received || f.LastArrival.IsZero()
	if changed {
		f.Status, f.Counts.Received, f.LastArrival = Loading, n, now
		return l.putFile(f)
	}
	if now.Sub(f.LastArrival) < l.opts.LoadingTimeout {
		return nil
	}
	reason := fmt.Sprintf("incomplete: %d of the %d records the header expects arrived, and none for the loading timeout (%s): "+
		"the file was cut short or its sender stopped; send it again whole", n, f.Counts.Expected, l.opts.LoadingTimeout)
	return l.reject(f, path, reason, state.InboxKey(f.Name))
}

// Resume finishes interrupted work: rewinds first, then files that are
// Pending, Validating or Processing, in arrival order per group. A file
// (or rewind) that fails stops its group's later files (they apply in
// order) until a later call succeeds with it, and not the other groups':
// the errors come back joined, one per stopped group, naming its file.
func (l *Loader) Resume(ctx context.Context) error {
	blocked, err := l.resume(ctx)
	if err != nil {
		return err
	}
	return joinBlocked(blocked)
}

// joinBlocked joins the stopped groups' errors, in group order.
func joinBlocked(blocked map[string]error) error {
	groups := make([]string, 0, len(blocked))
	for g := range blocked {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	errs := make([]error, len(groups))
	for i, g := range groups {
		errs[i] = blocked[g]
	}
	return errors.Join(errs...)
}

// resume does Resume's work and returns the error that stopped each
// stopped group.
func (l *Loader) resume(ctx context.Context) (map[string]error, error) {
	blocked, err := l.resumeRewinds(ctx)
	if err != nil {
		return nil, err
	}
	files, err := l.Files("")
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(files, func(a, b FileStatus) int { return a.Received.Compare(b.Received) })
	for i := range files {
		f := &files[i]
		if err := l.repairRejected(f); err != nil {
			return nil, err
		}
		switch f.Status {
		case Pending, Validating, Processing:
		default:
			continue
		}
		if blocked[f.Group] != nil {
			continue
		}
		if err := l.process(ctx, f); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			blocked[f.Group] = fmt.Errorf("processing %s: %w", f.Ref(), err)
		}
	}
	l.metrics.blockedGroups.Set(float64(len(blocked)))
	return blocked, nil
}

// repairRejected restores Failed on a file an earlier version rejected
// during validation and then marked Processing (the rejection's reason and
// outcome stayed, the file went to rejected/).
func (l *Loader) repairRejected(f *FileStatus) error {
	if f.Outcome != OutcomeRejected || f.Status == Failed {
		return nil
	}
	l.log.Warn("file rejected earlier marked Failed again", "file", f.Ref(), "was", string(f.Status))
	f.Status = Failed
	return l.putFile(f)
}
