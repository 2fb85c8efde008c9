package loader

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
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// formatOf returns a file's format from its name, or "" for files the
// loader ignores (hidden files, other extensions).
func formatOf(name string) parse.Format {
	if strings.HasPrefix(name, ".") {
		return ""
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return parse.CSV
	case ".jsonl", ".ndjson":
		return parse.JSONLines
	}
	return ""
}

const unknownGroup = "~unknown"

// stage looks at an inbox file. Until its header and expected records have
// all arrived it is Loading; then it is checksummed, checked for being a
// duplicate, marked Pending and moved to staging. It returns nil when the
// file's header has not arrived yet.
func (l *Loader) stage(name string) (*FileStatus, error) {
	path := l.inboxPath(name)
	format := formatOf(name)
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	h, n, err := parse.CountRecords(fh, format)
	fh.Close()
	if errors.Is(err, parse.ErrIncomplete) {
		return nil, nil
	}
	var f *FileStatus
	if err == nil {
		f, err = l.loadingEntry(name, h, format)
	}
	if err != nil { // a bad header: the file cannot be attributed to a group
		f = &FileStatus{Group: unknownGroup, Name: name, Format: format, Received: l.opts.Now().UTC()}
		return f, l.reject(f, path, fmt.Sprintf("header: %v", trimPrefix(err, "header: ")), nil)
	}
	switch {
	case n < h.Expected:
		return f, l.stageLoading(f, path, n)
	case n > h.Expected:
		f.Counts.Received = n
		return f, l.reject(f, path, fmt.Sprintf("the file holds %d records, its header expects %d", n, h.Expected), state.InboxKey(name))
	}
	f.Counts.Received = n
	sum, err := checksum(path)
	if err != nil {
		return nil, err
	}
	f.Checksum = sum
	b := l.db.NewBatch()
	defer b.Close()
	if prev, err := state.Get(l.db, state.SumKey(sum)); err != nil {
		return nil, err
	} else if prev != nil {
		f.Status, f.Outcome = Failed, OutcomeDuplicate
		f.Reason = fmt.Sprintf("the same file (SHA-256 %s) was already processed as %s", sum[:12], string(prev))
		f.Finished = l.opts.Now().UTC()
		dst := l.archivePath(f, "")
		if err := b.Delete(state.InboxKey(name), nil); err != nil {
			return nil, err
		}
		return f, l.finishFile(b, f, path, dst)
	}
	f.Status = Pending
	f.Staged = filepath.Join(l.dirs.staging, fmt.Sprintf("%s-%06d-%s", safeGroup(f.Group), f.Seq, name))
	if err := b.Set(state.SumKey(sum), []byte(f.Ref()), nil); err != nil {
		return nil, err
	}
	if err := b.Delete(state.InboxKey(name), nil); err != nil {
		return nil, err
	}
	if err := state.SetJSON(b, state.FileKey(f.Group, f.Seq), f); err != nil {
		return nil, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, err
	}
	return f, l.moveStaged(f)
}

func (l *Loader) inboxPath(name string) string { return filepath.Join(l.dirs.inbox, name) }

func trimPrefix(err error, p string) string { return strings.TrimPrefix(err.Error(), p) }

func safeGroup(g string) string { return strings.TrimPrefix(g, "~") }

// loadingEntry returns the file's entry, registering it on first sight.
func (l *Loader) loadingEntry(name string, h parse.Header, format parse.Format) (*FileStatus, error) {
	if v, err := state.Get(l.db, state.InboxKey(name)); err != nil {
		return nil, err
	} else if v != nil {
		group, seq, _ := strings.Cut(string(v), state.Sep)
		if f, err := l.File(group, state.ReadU64([]byte(seq))); err != nil || f != nil {
			return f, err
		}
	}
	group := h.Group
	if h.Kind != parse.KindFamily {
		group = catalogGroup
	}
	b := l.db.NewIndexedBatch()
	defer b.Close()
	seq, err := l.nextFileSeq(b, group)
	if err != nil {
		return nil, err
	}
	f := &FileStatus{
		Group: group, Seq: seq, Name: name, FileID: h.FileID, Kind: h.Kind, FileType: h.FileType,
		RecordType: h.RecordType, Format: format, AsOf: h.AsOf, Status: Loading,
		Counts: Counts{Expected: h.Expected}, Inbox: name, Received: l.opts.Now().UTC(),
	}
	if err := b.Set(state.InboxKey(name), []byte(group+state.Sep+state.U64(seq)), nil); err != nil {
		return nil, err
	}
	if err := state.SetJSON(b, state.FileKey(group, seq), f); err != nil {
		return nil, err
	}
	return f, b.Commit(pebble.Sync)
}

func (l *Loader) putFile(f *FileStatus) error {
	b := l.db.NewBatch()
	defer b.Close()
	if err := state.SetJSON(b, state.FileKey(f.Group, f.Seq), f); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// moveStaged moves a Pending file from the inbox to staging (again, after
// a crash between the two).
func (l *Loader) moveStaged(f *FileStatus) error {
	if _, err := os.Stat(f.Staged); err == nil {
		return nil
	}
	return os.Rename(filepath.Join(l.dirs.inbox, f.Inbox), f.Staged)
}

func checksum(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// chunk is one atomic commit of processing: state changes, journal
// entries, bad-record reasons, the outbox batch and the file's cursor.
type chunk struct {
	l       *Loader
	f       *FileStatus
	b       *pebble.Batch
	touched map[string]bool // cardholder IDs (or catalog keys) changed
	// versions and heads are the policy records written, by key, until commit.
	versions map[string]*PolicyVersion
	heads    map[string]policyHead
	n        int
	// user, for a manual policy change, is its maker: f is then a stand-in
	// (sequence 0) and the change is neither journaled nor saved as a file.
	user string
}

func (l *Loader) newChunk(f *FileStatus) *chunk {
	return &chunk{l: l, f: f, b: l.db.NewIndexedBatch(), touched: map[string]bool{}}
}

func (c *chunk) badRecord(line int, err error) error {
	c.f.Counts.Failed++
	return c.b.Set(state.ErrorKey(c.f.Group, c.f.Seq, line), []byte(err.Error()), nil)
}

func (c *chunk) journal(e *state.JournalEntry) error {
	if c.user != "" {
		return nil
	}
	c.f.Journal++
	e.N = c.f.Journal
	return state.SetJSON(c.b, state.JournalKey(c.f.Group, c.f.Seq, e.N), e)
}

// commit writes the outbox batch and the file's status with the chunk.
func (c *chunk) commit() error {
	defer c.b.Close()
	if err := c.flushPolicy(); err != nil {
		return err
	}
	touched, cat := c.touched, (*CatalogBatch)(nil)
	if c.f.Group == catalogGroup {
		var err error
		if cat, err = catalogBatch(c.b, c.touched); err != nil {
			return err
		}
		touched = nil
	}
	var rewind uint64
	if c.f.Status == Rewinding || c.f.Status == Rewound {
		rewind = c.f.Seq
	}
	if err := c.l.addOutbox(c.b, c.f.Group, touched, cat, rewind); err != nil {
		return err
	}
	if c.user == "" {
		if err := state.SetJSON(c.b, state.FileKey(c.f.Group, c.f.Seq), c.f); err != nil {
			return err
		}
	}
	if err := c.b.Commit(c.l.writeOpts()); err != nil {
		return fmt.Errorf("loader: commit: %w", err)
	}
	return nil
}

// processor is a file kind's record handling.
type processor interface {
	columns() []string
	// check checks a record without the loader's state (the validation pass).
	check(vals []string) error
	// apply checks a record against the state and applies it to c; an error
	// wrapping errBadRecord is the record's fault, any other stops the file.
	apply(c *chunk, vals []string) error
	// finish runs after the last record (full-file removals).
	finish(ctx context.Context, f *FileStatus) error
}

// errBadRecord marks an error that fails a record and not the file.
var errBadRecord = errors.New("bad record")

type badRecordError struct{ err error }

func (e badRecordError) Error() string   { return e.err.Error() }
func (e badRecordError) Unwrap() []error { return []error{e.err, errBadRecord} }

func bad(err error) error { return badRecordError{err} }

func (l *Loader) processorFor(f *FileStatus) (processor, error) {
	switch f.Kind {
	case parse.KindFamily:
		prof, err := l.opts.Profiles.Resolve(f.Group)
		if err != nil {
			return nil, err
		}
		asOf := l.today()
		if f.AsOf != "" {
			asOf = domain.MustDate(f.AsOf)
		}
		h := parse.Header{Kind: f.Kind, Group: f.Group, FileType: f.FileType, RecordType: f.RecordType, AsOf: f.AsOf}
		return &familyProc{l: l, rules: familyRules{h: h, prof: prof, asOf: asOf, today: l.today()}}, nil
	case parse.KindDrug:
		return &drugProc{l: l}, nil
	case parse.KindPharmacy:
		return &pharmacyProc{l: l}, nil
	case parse.KindNetwork:
		return &networkProc{l: l}, nil
	case parse.KindSchedule:
		return &scheduleProc{l: l}, nil
	case parse.KindPrescriber:
		return &prescriberProc{l: l}, nil
	case parse.KindPriorAuth:
		return &priorAuthProc{l: l}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", f.Kind)
}

// errRejected ends the work on a file that was just rejected: its status
// (Failed, with the reason) is committed and it has moved to rejected/, so
// nothing may write its status again.
var errRejected = errors.New("file rejected")

// rejectFile rejects f and returns errRejected (or the error rejecting it).
func (l *Loader) rejectFile(f *FileStatus, path, reason string) error {
	if err := l.reject(f, path, reason, nil); err != nil {
		return err
	}
	return errRejected
}

// process takes a staged file through validation and processing to its
// archive, resuming where a crash left it. It returns without doing
// anything while the file's group is being rewound.
func (l *Loader) process(ctx context.Context, f *FileStatus) error {
	if err := l.processFile(ctx, f); err != nil && !errors.Is(err, errRejected) {
		return err
	}
	return nil
}

func (l *Loader) processFile(ctx context.Context, f *FileStatus) error {
	if _, locked, err := l.Locked(f.Group); err != nil || locked {
		return err
	}
	if err := l.moveStaged(f); errors.Is(err, os.ErrNotExist) && f.Cursor == 0 && f.Status != Processing {
		return l.rejectFile(f, "", "the file disappeared from the inbox and staging before it was processed")
	} else if err != nil {
		return err
	}
	proc, err := l.processorFor(f)
	if err != nil {
		return l.rejectFile(f, f.Staged, err.Error())
	}
	if f.Status == Pending || f.Status == Validating {
		if err := l.validateFile(ctx, f, proc); err != nil {
			return err
		}
	}
	if f.Status != Processing {
		return nil
	}
	if err := l.applyRecords(ctx, f, proc); err != nil {
		return err
	}
	if err := proc.finish(ctx, f); err != nil {
		return err
	}
	return l.complete(f)
}

// validateFile runs the validation pass and either rejects the file or
// marks it Processing.
func (l *Loader) validateFile(ctx context.Context, f *FileStatus, proc processor) error {
	f.Status = Validating
	if err := l.putFile(f); err != nil {
		return err
	}
	failed, err := l.validate(ctx, f, proc)
	if err != nil {
		return err
	}
	f.Counts.Failed = failed
	if failed*100 > l.opts.MaxFailedPercent*f.Counts.Received || (failed > 0 && failed == f.Counts.Received) {
		return l.rejectFile(f, f.Staged, fmt.Sprintf("%d of %d records failed validation", failed, f.Counts.Received))
	}
	f.Status = Processing
	f.Counts = Counts{Expected: f.Counts.Expected, Received: f.Counts.Received}
	return l.putFile(f)
}

// validationCommitEvery bounds the validation batch: the members' first
// lines go to Pebble every so many records, not into memory.
const validationCommitEvery = 16384

// validate runs the stateless checks over every record, and finds the
// members on more than one line, recording each bad record's reason; it
// returns how many failed. A file that cannot be read as a whole is
// rejected (errRejected).
func (l *Loader) validate(ctx context.Context, f *FileStatus, proc processor) (int, error) {
	fh, err := os.Open(f.Staged)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	rows, _, err := parse.NewRows(fh, f.Format, proc.columns())
	if err != nil {
		return 0, l.rejectFile(f, f.Staged, err.Error())
	}
	keyer, _ := proc.(recordKeyer)
	d := &dupFinder{f: f, b: l.db.NewIndexedBatch()}
	defer func() { d.b.Close() }()
	if err := clearValidation(d.b, f, false); err != nil {
		return 0, err
	}
	failed := 0
	bar := l.progress("validate "+f.Ref(), f.Counts.Received)
	defer bar.Done()
	for i := 1; ; i++ {
		vals, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		n, err := l.validateRow(d, rows.Line(), vals, err, proc, keyer)
		if err != nil {
			return 0, err
		}
		failed += n
		if i%validationCommitEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if err := d.b.Commit(pebble.NoSync); err != nil {
				return 0, err
			}
			d.b.Close()
			d.b = l.db.NewIndexedBatch()
		}
		bar.Add(1)
	}
	if err := clearValidation(d.b, f, true); err != nil {
		return 0, err
	}
	return failed, d.b.Commit(pebble.NoSync)
}

// validateRow checks one row (vals, or readErr from reading it) and
// records its reason when it is bad; it returns how many lines became bad.
func (l *Loader) validateRow(d *dupFinder, line int, vals []string, readErr error, proc processor, keyer recordKeyer) (int, error) {
	err := readErr
	if err == nil {
		if cerr := proc.check(vals); cerr != nil {
			err = &parse.RowError{Line: line, Err: cerr}
		}
	}
	var re *parse.RowError
	n := 0
	if errors.As(err, &re) {
		n = 1
		if err := d.b.Set(state.ErrorKey(d.f.Group, d.f.Seq, re.Line), []byte(re.Err.Error()), nil); err != nil {
			return 0, err
		}
	} else if err != nil {
		return 0, l.rejectFile(d.f, d.f.Staged, err.Error())
	}
	if keyer == nil || readErr != nil {
		return n, nil
	}
	key := keyer.recordKey(vals)
	if key == "" {
		return n, nil
	}
	m, err := d.see(key, line, n == 1)
	return n + m, err
}

// applyRecords applies the records from the file's cursor on, one chunk
// per commit.
func (l *Loader) applyRecords(ctx context.Context, f *FileStatus, proc processor) error {
	fh, err := os.Open(f.Staged)
	if err != nil {
		return err
	}
	defer fh.Close()
	rows, _, err := parse.NewRows(fh, f.Format, proc.columns())
	if err != nil {
		return l.rejectFile(f, f.Staged, err.Error())
	}
	for i := 0; i < f.Cursor; i++ { // skip what a previous run committed
		if _, err := rows.Next(); errors.Is(err, io.EOF) {
			break
		}
	}
	dups, err := l.dupLines(f)
	if err != nil {
		return err
	}
	defer dups.close()
	bar := l.progress("apply "+f.Ref(), f.Counts.Received)
	bar.Add(f.Cursor)
	defer bar.Done()
	l.mu.Lock()
	defer l.mu.Unlock()
	chunks := 0
	c := l.newChunk(f)
	flush := func() error {
		if c.n == 0 {
			return nil
		}
		if err := c.commit(); err != nil {
			return err
		}
		l.metrics.records(c.n)
		bar.Add(c.n)
		chunks++
		if l.opts.failAfterChunks > 0 && chunks >= l.opts.failAfterChunks {
			return errCrash
		}
		c = l.newChunk(f)
		return ctx.Err()
	}
	defer func() { c.b.Close() }()
	for {
		vals, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		c.n++
		f.Cursor++
		if err := applyRow(c, proc, dups, rows.Line(), vals, err); err != nil {
			return err
		}
		if c.n >= l.opts.ChunkSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// applyRow applies one row (vals, or readErr from reading it): a row that
// cannot be read, a duplicate member's and one the processor finds bad are
// bad records; any other error stops the file.
func applyRow(c *chunk, proc processor, dups *dupLines, line int, vals []string, readErr error) error {
	var re *parse.RowError
	switch {
	case errors.As(readErr, &re):
		return c.badRecord(re.Line, re.Err)
	case readErr != nil:
		return readErr
	}
	err := dups.at(line)
	if k, ok := proc.(recordKeyer); ok && err != nil {
		if err := k.skipDuplicate(c, vals); err != nil {
			return err
		}
	} else if err == nil {
		err = proc.apply(c, vals)
	}
	if errors.Is(err, errBadRecord) {
		return c.badRecord(line, err)
	}
	return err
}

// complete marks a processed file Completed and archives it with its report.
func (l *Loader) complete(f *FileStatus) error {
	f.Status, f.Outcome = Completed, OutcomeCompleted
	if f.Counts.Failed > 0 {
		f.Outcome = OutcomePartial
	}
	f.Finished = l.opts.Now().UTC()
	b := l.db.NewBatch()
	defer b.Close()
	prefix := state.FileScoped("s", f.Group, f.Seq)
	if err := b.DeleteRange([]byte(prefix), state.Upper(prefix), nil); err != nil {
		return err
	}
	if err := clearValidation(b, f, false); err != nil {
		return err
	}
	l.metrics.file(f)
	l.notify()
	return l.finishFile(b, f, f.Staged, l.archivePath(f, ""))
}

// reject fails a file: nothing of it is applied (any check sum reservation
// is dropped, so a corrected copy can be sent), and it moves to rejected/
// with its report.
func (l *Loader) reject(f *FileStatus, path, reason string, drop []byte) error {
	f.Status, f.Outcome, f.Reason = Failed, OutcomeRejected, reason
	f.Finished = l.opts.Now().UTC()
	b := l.db.NewBatch()
	defer b.Close()
	if f.Group == unknownGroup {
		seq, err := l.nextFileSeqDirect(b, f.Group)
		if err != nil {
			return err
		}
		f.Seq = seq
	}
	if drop != nil {
		if err := b.Delete(drop, nil); err != nil {
			return err
		}
	}
	if f.Checksum != "" {
		if err := b.Delete(state.SumKey(f.Checksum), nil); err != nil {
			return err
		}
	}
	if err := clearValidation(b, f, false); err != nil {
		return err
	}
	l.metrics.file(f)
	return l.finishFile(b, f, path, filepath.Join(l.dirs.rejected, fmt.Sprintf("%s-%06d-%s", safeGroup(f.Group), f.Seq, f.Name)))
}

func (l *Loader) nextFileSeqDirect(b *pebble.Batch, group string) (uint64, error) {
	v, err := state.Get(l.db, state.FileSeqKey(group))
	if err != nil {
		return 0, err
	}
	seq := state.ReadU64(v) + 1
	return seq, b.Set(state.FileSeqKey(group), []byte(state.U64(seq)), nil)
}

func (l *Loader) archivePath(f *FileStatus, _ string) string {
	return filepath.Join(l.dirs.archive, fmt.Sprintf("%s-%06d-%s", safeGroup(f.Group), f.Seq, f.Name))
}

// finishFile writes the report next to dst, moves the file from src to
// dst, and commits the final status with b.
func (l *Loader) finishFile(b *pebble.Batch, f *FileStatus, src, dst string) error {
	f.Archived = dst
	bad, err := l.RecordErrors(f.Group, f.Seq, maxReported)
	if err != nil {
		return err
	}
	if err := writeReport(dst, f, bad); err != nil {
		return err
	}
	if err := state.SetJSON(b, state.FileKey(f.Group, f.Seq), f); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	if src == "" {
		return nil
	}
	if err := os.Rename(src, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	l.log.Info("file finished", "file", f.Ref(), "status", string(f.Status), "outcome", f.Outcome,
		"received", f.Counts.Received, "failed", f.Counts.Failed)
	return nil
}

// maxReported bounds the bad records a report lists (the count is exact).
const maxReported = 1000

// Report is a file's machine-readable outcome report.
type Report struct {
	File       FileStatus  `json:"file"`
	BadRecords []BadRecord `json:"bad_records"`
	Summary    string      `json:"summary"`
}

func writeReport(dst string, f *FileStatus, bad []BadRecord) error {
	if bad == nil {
		bad = []BadRecord{}
	}
	rep := Report{File: *f, BadRecords: bad, Summary: f.Summary()}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(dst+".report.json", append(data, '\n')); err != nil {
		return err
	}
	var s strings.Builder
	s.WriteString(f.Summary() + "\n")
	for _, r := range bad {
		fmt.Fprintf(&s, "  line %d: %s\n", r.Line, r.Reason)
	}
	if f.Counts.Failed > len(bad) {
		fmt.Fprintf(&s, "  ... and %d more\n", f.Counts.Failed-len(bad))
	}
	return writeFileAtomic(dst+".summary.txt", []byte(s.String()))
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
