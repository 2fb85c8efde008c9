package loader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/loader/parse"
	"github.com/rxclaims/rxclaims/loader/state"
)

// TestScenarios runs the scenario files in testdata (testdata/*.txt;
// testdata/intake holds intake files the fault tests read): each command
// drives a real loader (Pebble state, real files) syncing to an in-memory
// adjudicator.
func TestScenarios(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) { runScenario(t, path) })
	}
}

func runScenario(t *testing.T, path string) {
	s := &scenario{t: t, dir: t.TempDir(), sink: newFakeSink(), now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	defer s.close()
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		out, err := s.run(d)
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		return out
	})
}

type scenario struct {
	t        *testing.T
	dir      string
	l        *Loader
	profiles *parse.Profiles
	sink     *fakeSink
	now      time.Time
	crash    int
}

func (s *scenario) close() {
	if s.l != nil {
		s.l.Close()
		s.l = nil
	}
}

func (s *scenario) open() error {
	if s.l != nil {
		return nil
	}
	l, err := Open(Options{Dir: s.dir, Profiles: s.profiles, Sink: s.sink, Now: func() time.Time { return s.now },
		Logger: slog.New(slog.DiscardHandler), ChunkSize: 2, failAfterChunks: s.crash})
	if err != nil {
		return err
	}
	s.l = l
	return nil
}

func arg(d *datadriven.TestData, key, def string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return def
}

// scenarioCommands are the worksheet commands.
var scenarioCommands = map[string]func(s *scenario, ctx context.Context, d *datadriven.TestData) (string, error){
	"profiles":         (*scenario).cmdProfiles,
	"now":              (*scenario).cmdNow,
	"restart":          (*scenario).cmdRestart,
	"adjudicator-fail": (*scenario).cmdAdjudicatorFail,
	"drop":             (*scenario).cmdDrop,
	"scan":             (*scenario).cmdScan,
	"apply":            (*scenario).cmdApply,
	"resume":           (*scenario).cmdResume,
	"status":           (*scenario).cmdStatus,
	"journal":          (*scenario).cmdJournal,
	"members":          (*scenario).cmdMembers,
	"sync":             (*scenario).cmdSync,
	"adjudicator":      (*scenario).cmdAdjudicator,
	"policy":           (*scenario).cmdPolicy,
	"rewind":           (*scenario).cmdRewind,
	"kept":             (*scenario).cmdKept,
	"claims":           (*scenario).cmdClaims,
	"retro":            (*scenario).cmdRetro,
	"report":           (*scenario).cmdReport,
}

func (s *scenario) run(d *datadriven.TestData) (string, error) {
	cmd, ok := scenarioCommands[d.Cmd]
	if !ok {
		return "", fmt.Errorf("unknown command %q", d.Cmd)
	}
	return cmd(s, context.Background(), d)
}

func (s *scenario) cmdProfiles(ctx context.Context, d *datadriven.TestData) (string, error) {
	p, err := parse.ParseProfiles([]byte(d.Input))
	if err != nil {
		return "", err
	}
	s.profiles = p
	s.close()
	return "ok\n", s.open()
}

func (s *scenario) cmdNow(ctx context.Context, d *datadriven.TestData) (string, error) {
	day, err := domain.ParseDate(arg(d, "date", ""))
	if err != nil {
		return "", err
	}
	s.now = day.Time().Add(12 * time.Hour)
	return "ok\n", nil
}

// cmdRestart: the loader process stops and starts again
func (s *scenario) cmdRestart(ctx context.Context, d *datadriven.TestData) (string, error) {
	s.close()
	s.crash, _ = strconv.Atoi(arg(d, "crash-after", "0"))
	return "ok\n", s.open()
}

// cmdAdjudicatorFail: the adjudicator is down, or acks are lost
func (s *scenario) cmdAdjudicatorFail(ctx context.Context, d *datadriven.TestData) (string, error) {
	s.sink.failNext, _ = strconv.Atoi(arg(d, "calls", "0"))
	s.sink.failAfter, _ = strconv.Atoi(arg(d, "lose-acks", "0"))
	return "ok\n", nil
}

// cmdDrop: a file (or part of it) lands in the inbox
func (s *scenario) cmdDrop(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	p := filepath.Join(s.l.dirs.inbox, arg(d, "name", "file.csv"))
	data := d.Input + "\n"
	if d.HasArg("unterminated") { // the writer has not finished the last line
		data = d.Input
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		return "", err
	}
	return "ok\n", nil
}

func (s *scenario) cmdScan(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	files, err := s.l.ScanInbox(ctx)
	var b strings.Builder
	for _, f := range files {
		s.describe(&b, f)
	}
	if err != nil {
		return b.String() + "error: " + err.Error() + "\n", nil
	}
	return b.String(), nil
}

func (s *scenario) cmdApply(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	src := filepath.Join(s.dir, "out", arg(d, "name", "file.csv"))
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(src, []byte(d.Input+"\n"), 0o644); err != nil {
		return "", err
	}
	f, err := s.l.ApplyFile(ctx, src)
	var b strings.Builder
	if f != nil {
		s.describe(&b, f)
	}
	if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	return b.String(), nil
}

func (s *scenario) cmdResume(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	err := s.l.Resume(ctx)
	if err != nil {
		return "", err
	}
	return "ok\n", nil
}

func (s *scenario) cmdStatus(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	files, err := s.l.Files(arg(d, "group", ""))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := range files {
		b.WriteString(files[i].Summary() + "\n")
	}
	if g := arg(d, "group", ""); g != "" {
		if seq, ok, _ := s.l.Locked(g); ok {
			fmt.Fprintf(&b, "locked by rewind of %s/%d\n", g, seq)
		}
	}
	return b.String(), nil
}

func (s *scenario) cmdJournal(ctx context.Context, d *datadriven.TestData) (string, error) {
	seq, _ := strconv.ParseUint(arg(d, "seq", "1"), 10, 64)
	entries, err := s.l.Journal(arg(d, "group", ""), seq)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		who := e.Cardholder + "/" + e.Person
		if e.Key != nil {
			who = strings.ReplaceAll(string(e.Key), state.Sep, "/")
		}
		fmt.Fprintf(&b, "%d %s %s\n", e.N, who, strings.Join(e.Activities, " "))
	}
	if b.Len() == 0 {
		return "empty\n", nil
	}
	return b.String(), nil
}

func (s *scenario) cmdMembers(ctx context.Context, d *datadriven.TestData) (string, error) {
	return s.members(arg(d, "group", ""))
}

func (s *scenario) cmdSync(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	err := s.l.Sync(ctx)
	st, _ := s.l.SyncState()
	out := fmt.Sprintf("outbox written %d acked %d pending %d; adjudicator received %v\n", st.Written, st.Acked, st.Pending, s.sink.batches)
	s.sink.batches = nil
	if err != nil {
		out += "error: " + err.Error() + "\n"
	}
	return out, nil
}

func (s *scenario) cmdAdjudicator(ctx context.Context, d *datadriven.TestData) (string, error) {
	return s.sink.dump(), nil
}

// cmdPolicy: policy SUB group=G family=F user=U person=P file-type=T; input: reason, or FIELD=VALUE lines
func (s *scenario) cmdPolicy(ctx context.Context, d *datadriven.TestData) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	pa := PolicyArgs{Sub: d.CmdArgs[0].Key, Group: arg(d, "group", ""), Family: arg(d, "family", ""),
		Person: arg(d, "person", ""), User: arg(d, "user", ""), FileType: parse.FileType(arg(d, "file-type", "eligibility"))}
	if pa.Sub == "change" {
		pa.Set = strings.Fields(d.Input)
	} else {
		pa.Reason = strings.TrimSpace(d.Input)
	}
	var b strings.Builder
	if err := s.l.PolicyCommand(ctx, &b, pa); err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	return b.String(), nil
}

func (s *scenario) cmdRewind(ctx context.Context, d *datadriven.TestData) (string, error) {
	seq, _ := strconv.ParseUint(arg(d, "seq", "1"), 10, 64)
	if err := s.l.Rewind(ctx, arg(d, "group", ""), seq); err != nil {
		return "", err
	}
	return "ok\n", nil
}

// cmdKept: families a rewind could not remove from the adjudicator
func (s *scenario) cmdKept(ctx context.Context, d *datadriven.TestData) (string, error) {
	kept, err := s.l.KeptFamilies(arg(d, "group", ""), mustU64(arg(d, "seq", "1")))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("kept with no coverage (paid claims): %v\n", kept), nil
}

// cmdClaims: paid claims the adjudicator holds: id cardholder person date plan
func (s *scenario) cmdClaims(ctx context.Context, d *datadriven.TestData) (string, error) {
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 {
			return "", fmt.Errorf("claim line %q: want id cardholder person date plan", line)
		}
		s.sink.claims = append(s.sink.claims, ClaimRef{ClaimID: f[0], CardholderID: f[1], PersonCode: f[2],
			DateOfService: domain.MustDate(f[3]), PlanID: f[4], Status: "P"})
	}
	return "ok\n", nil
}

func (s *scenario) cmdRetro(ctx context.Context, d *datadriven.TestData) (string, error) {
	seq, _ := strconv.ParseUint(arg(d, "seq", "1"), 10, 64)
	aff, err := s.l.Retro(ctx, arg(d, "group", ""), seq, d.HasArg("readjudicate"))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, a := range aff {
		fmt.Fprintf(&b, "%s %s %s %s: %s", a.ClaimID, a.Member, a.DateOfService, a.PlanID, a.Reason)
		if a.Job != "" {
			fmt.Fprintf(&b, " (job %s: %s, new claim %s %s %s)", a.Job, a.State, a.NewClaimID, a.NewStatus, a.NewPlanID)
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return "none\n", nil
	}
	return b.String(), nil
}

func (s *scenario) cmdReport(ctx context.Context, d *datadriven.TestData) (string, error) {
	f, err := s.l.File(arg(d, "group", ""), mustU64(arg(d, "seq", "1")))
	if err != nil || f == nil {
		return "", errors.Join(err, errors.New("no such file"))
	}
	data, err := os.ReadFile(f.Archived + ".summary.txt")
	if err != nil {
		return "", err
	}
	where := filepath.Base(filepath.Dir(f.Archived))
	_, statErr := os.Stat(f.Archived)
	return fmt.Sprintf("in %s (file present: %v)\n%s", where, statErr == nil, data), nil
}

func mustU64(s string) uint64 { n, _ := strconv.ParseUint(s, 10, 64); return n }

func (s *scenario) describe(b *strings.Builder, f *FileStatus) {
	b.WriteString(f.Summary() + "\n")
	bad, err := s.l.RecordErrors(f.Group, f.Seq, 0)
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
	}
	for _, r := range bad {
		fmt.Fprintf(b, "  line %d: %s\n", r.Line, r.Reason)
	}
}

func (s *scenario) members(group string) (string, error) {
	if err := s.open(); err != nil {
		return "", err
	}
	var b strings.Builder
	prefix := "m" + state.Sep
	if group != "" {
		prefix = state.MemberPrefix(group)
	}
	err := state.Scan(s.l.db, prefix, false, func(k, v []byte) error {
		r, err := parse.DecodeRecord(v)
		if err != nil {
			return err
		}
		parts := strings.Split(string(k), state.Sep)
		fmt.Fprintf(&b, "%s %s/%s", parts[1], parts[2], parts[3])
		for f := parse.FRelationship; f < parse.NumFields; f++ {
			if r[f] != "" {
				fmt.Fprintf(&b, " %s=%s", f, r[f])
			}
		}
		b.WriteString("\n")
		return nil
	})
	if b.Len() == 0 {
		return "none\n", err
	}
	return b.String(), err
}
