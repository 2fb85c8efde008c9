package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The real loader binary under faults, in the style of the adjudicator's
// crash test: real files in a temporary directory, bounded waits, and the
// invariant checked after the fault.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// loaderBin builds the loader binary once for the package's tests.
func loaderBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the loader binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "loader-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "loader")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a `loader run` process.
type proc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startLoader starts `loader run` on dir without an adjudicator.
func startLoader(t *testing.T, bin, dir, profiles string) *proc {
	t.Helper()
	p := &proc{stderr: &lockedBuffer{}}
	p.cmd = exec.Command(bin, "run", "--dir", dir, "--profiles", profiles, "--adjudicator", "-",
		"--metrics-addr", "-", "--poll", "20ms")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

func (p *proc) term(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("loader run after SIGTERM: %v\n%s", err, p.stderr.String())
	}
}

// oneOff runs a one-off loader command on dir and returns its exit code and
// output.
func oneOff(t *testing.T, bin, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--dir", dir, "--adjudicator", "-")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// awaitStatus runs `loader status` until its output holds want and, if
// given, satisfies ok.
func awaitStatus(t *testing.T, bin, dir, want string, ok ...func(string) bool) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, out, errOut := oneOff(t, bin, dir, "status")
		if code == 0 && strings.Contains(out, want) && (len(ok) == 0 || ok[0](out)) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never showed %q: exit %d\n%s%s", want, code, out, errOut)
		}
	}
}

// dropFile writes a file into dir's inbox whole (aside, then renamed).
func dropFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(inbox, "."+name+".part")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(inbox, name)); err != nil {
		t.Fatal(err)
	}
}

// TestStatusAndPolicyWhileRunning: with `loader run` holding the state,
// status and the policy commands go to it over its control socket, with
// the workflow's rules (maker-checker) intact; other one-off commands say
// the state is held; no member appears in the running loader's log; after
// SIGTERM the same commands open the state directly and see the same.
func TestStatusAndPolicyWhileRunning(t *testing.T) {
	bin := loaderBin(t)
	dir := t.TempDir()
	profiles, _ := filepath.Abs("../../loader/examples/profiles.yaml")
	run := startLoader(t, bin, dir, profiles)
	families, err := os.ReadFile("../../loader/examples/families.csv")
	if err != nil {
		t.Fatal(err)
	}
	dropFile(t, dir, "families.csv", families)
	awaitStatus(t, bin, dir, "GRP100/1 families.csv (family eligibility changes): Completed completed")

	fam := []string{"--group", "GRP100", "--family", "LDR001"}
	for _, step := range []struct {
		args []string
		code int
		want string
	}{
		{append([]string{"policy", "change", "--person", "001", "--user", "mark", "union=Y", "management=N"}, fam...), 0, "version 2 pending"},
		{[]string{"policy", "pending", "--group", "GRP100"}, 0, "pend rules plan-change"},
		{append([]string{"policy", "approve", "--user", "mark"}, fam...), 1, "maker-checker"},
		{append([]string{"policy", "approve", "--user", "olivia"}, fam...), 0, "version 2 active"},
		{append([]string{"policy", "history"}, fam...), 0, "001 class=UNION-FT plan=HDHP-2026"},
		{[]string{"rewind", "--group", "GRP100", "--seq", "1"}, 1, "another loader is running on this data dir"},
	} {
		code, out, errOut := oneOff(t, bin, dir, step.args...)
		if code != step.code || !strings.Contains(out+errOut, step.want) {
			t.Fatalf("%v: exit %d, want %d and %q in\n%s%s", step.args, code, step.code, step.want, out, errOut)
		}
	}
	running := awaitStatus(t, bin, dir, "outbox:")
	run.term(t)
	if _, err := os.Stat(filepath.Join(dir, "control.sock")); !os.IsNotExist(err) {
		t.Fatalf("control socket left after a clean stop: %v", err)
	}
	if code, direct, errOut := oneOff(t, bin, dir, "status"); code != 0 || direct != running {
		t.Fatalf("status without the loader: exit %d\n%s%s\nwhile running it said\n%s", code, direct, errOut, running)
	}
	if logs := run.stderr.String(); strings.Contains(logs, "LDR001") || !strings.Contains(logs, `"msg":"control command"`) {
		t.Fatalf("the running loader's log names a family, or not the commands:\n%s", logs)
	}
}

// TestLoaderKilled: the loader is killed (SIGKILL) while it takes in a
// file, at its first moments, then three times mid-processing, each time
// after more records were committed; then it runs to the end. The file
// completes once with every record counted once, and a status through the
// control socket works after each kill (a killed loader leaves its socket
// behind).
func TestLoaderKilled(t *testing.T) {
	bin := loaderBin(t)
	dir := t.TempDir()
	profiles := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(profiles, []byte("groups:\n- id: KILL\n  comparator: true\n  classes: [{name: ALL, plan: PPO-2026}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	var file bytes.Buffer
	fmt.Fprintf(&file, "#rxclaims group=KILL file_type=eligibility record_type=changes expected=%d\n", n)
	file.WriteString("cardholder_id,person_code,date_of_birth,coverage_effective\n")
	for i := range n {
		fmt.Fprintf(&file, "K%06d,001,1980-01-01,2026-01-01\n", i)
	}
	dropFile(t, dir, "kill.csv", file.Bytes())
	run := startLoader(t, bin, dir, profiles)
	run.kill(t)
	applied := -1
	for i := 0; i < 3 && applied < n; i++ {
		run = startLoader(t, bin, dir, profiles)
		out := awaitStatus(t, bin, dir, "kill.csv", func(out string) bool {
			m := appliedRe.FindStringSubmatch(out)
			return strings.Contains(out, "Completed") || (m != nil && atoi(m[1]) > applied)
		})
		run.kill(t)
		if m := appliedRe.FindStringSubmatch(out); m != nil {
			applied = atoi(m[1])
		} else {
			applied = n
		}
		t.Logf("killed with %d records applied: %s", applied, strings.TrimSpace(out))
	}
	if _, err := os.Stat(filepath.Join(dir, "control.sock")); err != nil {
		t.Fatalf("no stale socket to take over: %v", err)
	}
	run = startLoader(t, bin, dir, profiles)
	out := awaitStatus(t, bin, dir, "kill.csv", func(out string) bool { return strings.Contains(out, "Completed") })
	want := fmt.Sprintf("Completed completed; expected %d received %d new %d changed 0 unchanged 0 removed 0 pended 0 failed 0", n, n, n)
	// One outbox batch per committed chunk of 1,000: none twice.
	if !strings.Contains(out, want) || strings.Count(out, "kill.csv") != 1 || !strings.Contains(out, fmt.Sprintf("outbox: %d batches written", n/1000)) {
		t.Fatalf("after the kills:\n%s\nwant %q once and %d outbox batches", out, want, n/1000)
	}
	for _, fam := range []string{"K000000", fmt.Sprintf("K%06d", n/2), fmt.Sprintf("K%06d", n-1)} {
		code, hist, errOut := oneOff(t, bin, dir, "policy", "history", "--group", "KILL", "--family", fam)
		if code != 0 || !strings.Contains(hist, "version 1 active") || strings.Contains(hist, "version 2") {
			t.Fatalf("%s: exit %d\n%s%s", fam, code, hist, errOut)
		}
	}
	run.term(t)
}

var appliedRe = regexp.MustCompile(`kill\.csv \(family eligibility changes\): Processing; expected \d+ received \d+ new (\d+)`)

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
