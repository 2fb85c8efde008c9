package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rxclaims/rxclaims/loader/parse"
)

// The loader's faults, in the style of the adjudicator's crash test: a
// real Run on real files in a temporary directory, bounded waits, and the
// invariant checked after the fault. The loader's clock is a test clock,
// so a timeout passes without waiting for it.

const twoGroups = "groups:\n- id: GRPA\n  classes: [{name: ALL, plan: PPO-2026}]\n- id: GRPB\n  classes: [{name: ALL, plan: PPO-2026}]\n"

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// running is a loader in Run, with its logs and metrics.
type running struct {
	t     *testing.T
	l     *Loader
	reg   *prometheus.Registry
	logs  *syncBuffer
	clock *testClock
	stop  func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startRun opens a loader on dir (more options from o) and runs it,
// scanning every 10ms, until the test ends or stop is called. Its clock
// starts on 2026-11-01 unless o.Now is given.
func startRun(t *testing.T, dir string, o Options) *running {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	if o.Now != nil {
		clock.t = o.Now()
	}
	profiles, err := parse.ParseProfiles([]byte(twoGroups))
	if err != nil {
		t.Fatal(err)
	}
	r := &running{t: t, reg: prometheus.NewRegistry(), logs: &syncBuffer{}, clock: clock}
	o.Dir, o.Profiles, o.PollInterval, o.Registerer = dir, profiles, 10*time.Millisecond, r.reg
	o.Now, o.Logger = r.clock.now, slog.New(slog.NewJSONHandler(r.logs, nil))
	if r.l, err = Open(o); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.l.Run(ctx) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, errCrash) {
				t.Errorf("Run: %v", err)
			}
			r.l.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

// drop writes a file into the inbox whole (written aside, then renamed,
// as a sender should).
func (r *running) drop(name string, data []byte) {
	r.t.Helper()
	tmp := filepath.Join(r.l.Inbox(), "."+name+".part")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(r.l.Inbox(), name)); err != nil {
		r.t.Fatal(err)
	}
}

// await waits, a bounded time, until cond holds.
func (r *running) await(what string, cond func() bool) {
	r.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			r.t.Fatalf("gave up waiting for %s; logs:\n%s", what, r.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// file returns the group's file named name, or nil.
func (r *running) file(group, name string) *FileStatus {
	files, err := r.l.Files(group)
	if err != nil {
		r.t.Fatal(err)
	}
	for i := range files {
		if files[i].Name == name {
			return &files[i]
		}
	}
	return nil
}

func (r *running) finished(group, name string) func() bool {
	return func() bool {
		f := r.file(group, name)
		return f != nil && (f.Status == Completed || f.Status == Failed)
	}
}

// moved reports whether the file is finished and moved to its archive or
// rejected/ (the status is committed first).
func (r *running) moved(group, name string) func() bool {
	return func() bool {
		f := r.file(group, name)
		if f == nil || f.Archived == "" {
			return false
		}
		_, err := os.Stat(f.Archived)
		return err == nil
	}
}

func (r *running) gauge(name, state string) float64 {
	r.t.Helper()
	want := fmt.Sprintf("%s{state=%q}", name, state)
	if state == "" {
		want = name
	}
	mfs, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := name
			if len(m.GetLabel()) > 0 {
				got = fmt.Sprintf("%s{state=%q}", name, m.GetLabel()[0].GetValue())
			}
			if got == want {
				return m.GetGauge().GetValue()
			}
		}
	}
	r.t.Fatalf("no metric %s", want)
	return 0
}

// members returns the group's member records' keys.
func members(t *testing.T, l *Loader, group string) []string {
	t.Helper()
	var out []string
	prefix := "m\x00" + group + "\x00"
	it, err := l.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.SeekGE([]byte(prefix)); ok && strings.HasPrefix(string(it.Key()), prefix); ok = it.Next() {
		out = append(out, strings.ReplaceAll(string(it.Key()[len(prefix):]), "\x00", "/"))
	}
	return out
}

func readIntake(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "intake", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestFaultByteOrderMark: the file of the field report, whose column line
// starts with a UTF-8 byte order mark, loads; so does another group's file
// behind it. (Before, validation rejected it, the rejection was then
// overwritten with Processing, and every later scan failed on the moved
// file, stopping intake for every group.)
func TestFaultByteOrderMark(t *testing.T) {
	r := startRun(t, t.TempDir(), Options{})
	r.drop("grpa.csv", readIntake(t, "grpa-bom-column-line.csv"))
	r.drop("grpb.csv", readIntake(t, "grpb-plain.csv"))
	r.await("both files", func() bool { return r.finished("GRPA", "grpa.csv")() && r.finished("GRPB", "grpb.csv")() })
	for _, g := range []struct{ group, name, want string }{
		{"GRPA", "grpa.csv", "Completed completed; expected 2 received 2 new 2"},
		{"GRPB", "grpb.csv", "Completed completed; expected 1 received 1 new 1"},
	} {
		if s := r.file(g.group, g.name).Summary(); !strings.Contains(s, g.want) {
			t.Errorf("%s: %s, want %q", g.group, s, g.want)
		}
	}
	if got := strings.Join(members(t, r.l, "GRPA"), " "); got != "BOMA1/001 BOMA2/001" {
		t.Errorf("GRPA members %q", got)
	}
	if strings.Contains(r.logs.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", r.logs.String())
	}
}

// TestFaultRejectionKept: a file validation rejects (an unknown column)
// ends Failed with its reason, in rejected/ with its report; it stays so
// through later scans, which report no error, and another group's file
// arriving after it loads.
func TestFaultRejectionKept(t *testing.T) {
	r := startRun(t, t.TempDir(), Options{})
	bad := bytes.Replace(readIntake(t, "grpb-plain.csv"), []byte("GRPB"), []byte("GRPA"), 1)
	bad = bytes.Replace(bad, []byte("date_of_birth"), []byte("birth_date"), 1)
	r.drop("grpa-bad.csv", bad)
	r.await("the bad file", r.moved("GRPA", "grpa-bad.csv"))
	r.drop("grpb.csv", readIntake(t, "grpb-plain.csv"))
	r.await("the good file", r.finished("GRPB", "grpb.csv"))
	for range 3 { // later scans
		if _, err := r.l.ScanInbox(context.Background()); err != nil {
			t.Fatalf("a later scan: %v", err)
		}
	}
	f := r.file("GRPA", "grpa-bad.csv")
	if f.Status != Failed || !strings.Contains(f.Reason, `unknown column "birth_date"`) {
		t.Fatalf("bad file: %s", f.Summary())
	}
	report, err := os.ReadFile(f.Archived + ".summary.txt")
	if err != nil || !strings.Contains(string(report), `unknown column "birth_date"`) ||
		filepath.Base(filepath.Dir(f.Archived)) != "rejected" {
		t.Fatalf("report %s: %q %v", f.Archived, report, err)
	}
	if s := r.file("GRPB", "grpb.csv").Summary(); !strings.Contains(s, "Completed completed") {
		t.Fatalf("good file: %s", s)
	}
	if n := len(members(t, r.l, "GRPA")); n != 0 {
		t.Fatalf("the rejected file applied %d members", n)
	}
}

// TestFaultOneGroupStopped: group A's file stops mid-processing and its
// staged copy is lost, so it cannot go on. Group A's later file waits
// behind it (files of a group apply in order), the loader says which file
// stops which group (metric and log), and group B's files load.
func TestFaultOneGroupStopped(t *testing.T) {
	dir := t.TempDir()
	// The first process applies two of five records and dies.
	r := startRun(t, dir, Options{ChunkSize: 2, failAfterChunks: 1})
	r.drop("grpa-1.csv", []byte("#rxclaims group=GRPA file_type=eligibility record_type=changes expected=5\n"+
		"cardholder_id,person_code,date_of_birth,coverage_effective\n"+
		"A1,001,1980-01-01,2026-01-01\nA2,001,1980-01-01,2026-01-01\nA3,001,1980-01-01,2026-01-01\n"+
		"A4,001,1980-01-01,2026-01-01\nA5,001,1980-01-01,2026-01-01\n"))
	r.await("the first chunk", func() bool { f := r.file("GRPA", "grpa-1.csv"); return f != nil && f.Cursor == 2 })
	staged := r.file("GRPA", "grpa-1.csv").Staged
	r.stop()
	if err := os.Remove(staged); err != nil {
		t.Fatal(err)
	}
	// The next process finds A's file unable to go on.
	r = startRun(t, dir, Options{})
	r.drop("grpa-2.csv", []byte("#rxclaims group=GRPA file_type=eligibility record_type=changes expected=1\n"+
		"cardholder_id,person_code,date_of_birth,coverage_effective\nA6,001,1980-01-01,2026-01-01\n"))
	r.drop("grpb.csv", readIntake(t, "grpb-plain.csv"))
	r.await("group B's file", r.finished("GRPB", "grpb.csv"))
	r.await("the blocked-groups metric", func() bool { return r.gauge("rxclaims_loader_blocked_groups", "") == 1 })
	if s := r.file("GRPB", "grpb.csv").Summary(); !strings.Contains(s, "Completed completed; expected 1 received 1 new 1") {
		t.Fatalf("group B: %s", s)
	}
	if f := r.file("GRPA", "grpa-2.csv"); f == nil || f.Status != Pending {
		t.Fatalf("group A's later file: %+v, want Pending behind the stopped one", f)
	}
	if got := strings.Join(members(t, r.l, "GRPA"), " "); got != "A1/001 A2/001" {
		t.Fatalf("group A members %q: only the committed chunk", got)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "processing GRPA/1") || strings.Count(logs, `"msg":"inbox scan"`) != 1 {
		t.Fatalf("want the stopped file logged once, got:\n%s", logs)
	}
	// The one-shot `apply` too: B's next file applies, A's waits.
	r.stop()
	profiles, _ := parse.ParseProfiles([]byte(twoGroups))
	l, err := Open(Options{Dir: dir, Profiles: profiles, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	src := t.TempDir()
	for _, c := range []struct{ name, group, want string }{
		{"grpb-2.csv", "GRPB", "Completed"},
		{"grpa-3.csv", "GRPA", "waits behind a file that failed: processing GRPA/1"},
	} {
		data := bytes.ReplaceAll(readIntake(t, "grpb-plain.csv"), []byte("GRPB"), []byte(c.group))
		data = bytes.ReplaceAll(data, []byte("PLNB1"), []byte("P"+c.group))
		path := filepath.Join(src, c.name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := l.ApplyFile(context.Background(), path)
		if got := fmt.Sprint(f.Status, " ", err); !strings.Contains(got, c.want) {
			t.Errorf("apply %s: %s, want %q", c.name, got, c.want)
		}
	}
}

// TestFaultLoadingTimeout: a file cut short (its header expects five
// records, two arrive), and one whose header line never completes, are
// rejected after the loading timeout, across a restart of the loader; a
// file with a name the loader does not take stays and is counted. The
// metrics show them while they wait.
func TestFaultLoadingTimeout(t *testing.T) {
	dir := t.TempDir()
	r := startRun(t, dir, Options{LoadingTimeout: time.Hour})
	r.drop("grpa-cut.csv", []byte("#rxclaims group=GRPA file_type=eligibility record_type=changes expected=5\n"+
		"cardholder_id,person_code,date_of_birth,coverage_effective\nC1,001,1980-01-01,2026-01-01\nC2,001,1980-01-01,2026-01-01\nC3,00"))
	r.drop("grpb-head.csv", []byte("#rxclaims group=GRPB file_type=elig"))
	r.drop("grpb.csv.gz", []byte("not for the loader"))
	r.await("the inbox metrics", func() bool {
		return r.gauge("rxclaims_loader_inbox_files", inboxLoading) == 1 && r.gauge("rxclaims_loader_inbox_files", inboxNoHeader) == 1 &&
			r.gauge("rxclaims_loader_inbox_files", inboxUnknown) == 1
	})
	r.clock.advance(40 * time.Minute)
	r.await("the stalled metric", func() bool { return r.gauge("rxclaims_loader_inbox_stalled_seconds", inboxLoading) >= 40*60 })
	// The loader restarts: the cut file's wait is kept in its state; the
	// header-less file's starts again.
	r.stop()
	r = startRun(t, dir, Options{LoadingTimeout: time.Hour, Now: r.clock.now})
	r.clock.advance(40 * time.Minute)
	r.await("the cut file", r.moved("GRPA", "grpa-cut.csv"))
	f := r.file("GRPA", "grpa-cut.csv")
	if f.Status != Failed || !strings.Contains(f.Reason, "incomplete: 2 of the 5 records") {
		t.Fatalf("cut file: %s", f.Summary())
	}
	if _, err := os.Stat(f.Archived); err != nil || filepath.Base(filepath.Dir(f.Archived)) != "rejected" {
		t.Fatalf("cut file not in rejected/: %v", err)
	}
	r.await("a scan after the restart", func() bool { return r.gauge("rxclaims_loader_inbox_files", inboxNoHeader) == 1 })
	r.clock.advance(61 * time.Minute)
	r.await("the header-less file", func() bool { return r.file(unknownGroup, "grpb-head.csv") != nil })
	if f := r.file(unknownGroup, "grpb-head.csv"); f.Status != Failed || !strings.Contains(f.Reason, "header line did not arrive") {
		t.Fatalf("header-less file: %s", f.Summary())
	}
	r.await("the metrics after", func() bool {
		return r.gauge("rxclaims_loader_inbox_files", inboxLoading) == 0 && r.gauge("rxclaims_loader_inbox_files", inboxNoHeader) == 0
	})
	if n := r.gauge("rxclaims_loader_inbox_files", inboxUnknown); n != 1 {
		t.Fatalf("unknown files %v, want 1 (it stays)", n)
	}
	if v := testutil.ToFloat64(r.l.metrics.files.WithLabelValues("family", OutcomeRejected)); v != 1 {
		t.Fatalf("rejected family files %v", v)
	}
	if n := len(members(t, r.l, "GRPA")); n != 0 {
		t.Fatalf("the cut file applied %d members", n)
	}
}
