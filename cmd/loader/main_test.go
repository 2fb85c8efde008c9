package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/rxclaims/rxclaims/internal/authz"
	"github.com/rxclaims/rxclaims/internal/servertest"
	"github.com/rxclaims/rxclaims/loader"
)

const drugFile = `#rxclaims kind=drug expected=1
ndc,name,therapeutic_class,multi_source_code,awp,mac,effective
00093505698,Atorvastatin 10mg,39400010,Y,7.50,0.12,2026-01-01
`

// loaderRun runs the command line and returns its exit code and output.
func loaderRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"--version"}, {"policy", "change", "--help"}} {
		code, out, _ := loaderRun(t, args...)
		if code != 0 || out == "" {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	if _, out, _ := loaderRun(t, "--version"); !strings.HasPrefix(out, "loader ") {
		t.Errorf("--version printed %q", out)
	}
}

// TestApplyFlagsAfterFile: the README's form, flags after the file.
func TestApplyFlagsAfterFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "drugs.csv")
	if err := os.WriteFile(src, []byte(drugFile), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := loaderRun(t, "apply", src, "--dir", dir, "--adjudicator", "-")
	if code != 0 || !strings.Contains(out, "Completed") {
		t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = loaderRun(t, "status", "--dir", dir, "--adjudicator", "-")
	if code != 0 || !strings.Contains(out, "outbox: 1 batches written") {
		t.Fatalf("status: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// TestSyncOverMutualTLS: the loader syncs into an adjudicator that requires
// client certificates, presenting its own. (A loader without one waits for
// a connection until its sync timeout: the server tests cover refusals.)
func TestSyncOverMutualTLS(t *testing.T) {
	pki := servertest.NewPKI(t)
	srv := servertest.StartTLS(t, t.TempDir(), pki, servertest.Policy(t, map[string][]string{"loader": {authz.EnrollmentOperator}}))
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "drugs.csv")
	if err := os.WriteFile(src, []byte(drugFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := loaderRun(t, "apply", src, "--dir", dir, "--adjudicator", "-"); code != 0 {
		t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	f := pki.Client(t, "loader").TLS
	code, out, errOut := loaderRun(t, "sync", "--dir", dir, "--adjudicator", srv.AdminAddr, "--tls-ca", f.CA, "--tls-cert", f.Cert, "--tls-key", f.Key)
	if code != 0 {
		t.Fatalf("sync: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, out, _ := loaderRun(t, "status", "--dir", dir, "--adjudicator", "-"); code != 0 || !strings.Contains(out, "1 acknowledged, 0 waiting") {
		t.Fatalf("status after sync: exit %d\n%s", code, out)
	}
}

// TestRetroUnknownFile: retro of a file the loader does not have fails.
func TestRetroUnknownFile(t *testing.T) {
	code, _, errOut := loaderRun(t, "retro", "--group", "GRP100", "--seq", "9", "--dir", t.TempDir(),
		"--adjudicator", "localhost:1")
	if code == 0 || !strings.Contains(errOut, "no file GRP100/9") {
		t.Fatalf("retro: exit %d, stderr %q", code, errOut)
	}
}

// TestStatusWhileRunning: a second process on the data dir says why.
func TestStatusWhileRunning(t *testing.T) {
	dir := t.TempDir()
	l, err := loader.Open(loader.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	code, _, errOut := loaderRun(t, "status", "--dir", dir, "--adjudicator", "-")
	if code != 1 || !strings.Contains(errOut, "another loader is running on this data dir") {
		t.Fatalf("status: exit %d, stderr %q", code, errOut)
	}
}

// TestPolicyChangeNeedsProfiles: the error names the missing flag.
func TestPolicyChangeNeedsProfiles(t *testing.T) {
	t.Setenv("RXCLAIMS_LOADER_PROFILES", "")
	code, _, errOut := loaderRun(t, "policy", "change", "--group", "G", "--family", "F", "--person", "001",
		"--user", "mark", "management=Y", "--dir", t.TempDir(), "--adjudicator", "-")
	if code != 1 || !strings.Contains(errOut, "needs --profiles") {
		t.Fatalf("policy change: exit %d, stderr %q", code, errOut)
	}
}

// TestREADMECommandsParse: every command loader/README.md shows parses.
func TestREADMECommandsParse(t *testing.T) {
	doc, err := os.ReadFile("../../loader/README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(doc), "\n") {
		rest, ok := strings.CutPrefix(line, "go run ./cmd/loader ")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, "   #")
		var cli CLI
		parser, err := kong.New(&cli, kong.Vars{"version": "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.Parse(shellWords(rest)); err != nil {
			t.Errorf("%q: %v", line, err)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("found %d commands in the README", n)
	}
}

// shellWords splits s at spaces outside double quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// TestREADMEWalk: the README's walk through the sample files, without an
// adjudicator: the file applies cleanly, the manual change pends on the
// plan change, approval activates it, and the file rewinds.
func TestREADMEWalk(t *testing.T) {
	dir := t.TempDir()
	p := "../../loader/examples/profiles.yaml"
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "../../loader/examples/families.csv", "--profiles", p}, "new 2 changed 0 unchanged 0 removed 0 pended 0 failed 0"},
		{[]string{"policy", "change", "--group", "GRP100", "--family", "LDR001", "--person", "001", "--user", "mark", "--profiles", p, "union=Y", "management=N"}, "pending"},
		{[]string{"policy", "pending", "--group", "GRP100"}, "pend rules plan-change"},
		{[]string{"policy", "approve", "--group", "GRP100", "--family", "LDR001", "--user", "olivia", "--profiles", p}, "approved"},
		{[]string{"policy", "history", "--group", "GRP100", "--family", "LDR001"}, "001 class=UNION-FT plan=HDHP-2026"},
		{[]string{"rewind", "--group", "GRP100", "--seq", "1"}, "rewound GRP100/1"},
	} {
		code, out, errOut := loaderRun(t, append(step.args, "--dir", dir, "--adjudicator", "-")...)
		if code != 0 || !strings.Contains(out, step.want) {
			t.Fatalf("%v: exit %d, want %q in\n%s%s", step.args, code, step.want, out, errOut)
		}
	}
}
