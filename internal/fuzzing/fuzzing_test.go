package fuzzing

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// budgets is every fuzz target of the module, as "./package Target", with
// the executions of its random run: a few seconds each on a 2-core
// machine, so all of them take about a minute. The run's -fuzztime is that
// count plus the target's corpus (testdata/fuzz and the go command's cache
// of interesting inputs), which the fuzzer runs first. A count, not a
// duration: with a duration, Go 1.26's fuzzing coordinator can end a run
// that found nothing with "context deadline exceeded" (golang/go#75804, a
// race at the deadline, fixed in Go 1.27); a count has no deadline to
// race. A target that hangs still fails, at runTimeout. Inputs the
// parsers once took seconds on are bounded in the code, not here.
// TestBudgetsCoverEveryTarget fails when a target is missing.
var budgets = map[string]int{
	"./accumulators FuzzDecode":                            20000,
	"./adjudicator FuzzBill":                               60,
	"./config FuzzParse":                                   1000,
	"./internal/money FuzzFixedAsDecimal":                  20000,
	"./internal/money FuzzParse":                           20000,
	"./internal/store/records FuzzDecodeClaim":             3000,
	"./internal/store/records FuzzDecodeClaimWithoutTrace": 3000,
	"./internal/store/records FuzzDecodeTrace":             3000,
	"./internal/store/records FuzzDecodeHistory":           3000,
	"./loader/parse FuzzParseCSV":                          3000,
	"./loader/parse FuzzParseCatalogRows":                  2000,
	"./loader/parse FuzzParseHeader":                       10000,
	"./loader/parse FuzzParseJSONLines":                    3000,
	"./loader/parse FuzzParseProfiles":                     3000,
}

// runTimeout bounds one target's run, its build included (a cold build
// cache compiles each package once for fuzzing).
const runTimeout = 5 * time.Minute

// TestFuzzTargets runs each target's random run. A failing input is
// written under the package's testdata/fuzz/<target>/ (commit it with the
// fix, as a regression seed); the failure names it and the command that
// reruns it.
func TestFuzzTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every fuzz target (about a minute)")
	}
	root, module := moduleRoot(t), goOutput(t, "list", "-m")
	cache := filepath.Join(goOutput(t, "env", "GOCACHE"), "fuzz")
	keys := make([]string, 0, len(budgets))
	for k := range budgets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		pkg, target, _ := strings.Cut(k, " ")
		corpus := countFiles(filepath.Join(root, pkg, "testdata", "fuzz", target)) +
			countFiles(filepath.Join(cache, module+strings.TrimPrefix(pkg, "."), target))
		t.Run(strings.TrimPrefix(pkg, "./")+"/"+target, func(t *testing.T) {
			fuzzOne(t, root, pkg, target, corpus+budgets[k])
		})
	}
}

func fuzzOne(t *testing.T, root, pkg, target string, execs int) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-fuzz", "^"+target+"$",
		"-fuzztime", fmt.Sprintf("%dx", execs), "-parallel", "1", pkg)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return
	}
	text := out.String()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within %s (a hang?):\n%s", pkg, target, runTimeout, tail(text))
	}
	if m := crasherRe.FindStringSubmatch(text); m != nil {
		t.Fatalf("%s %s found a failing input: %s\nreproduce: go test -run '%s' %s\n(commit the input with the fix, as a seed)\n%s",
			pkg, target, filepath.Join(root, pkg, m[1]), m[2], pkg, tail(text))
	}
	t.Fatalf("%s %s: %v\n%s", pkg, target, err, tail(text))
}

var crasherRe = regexp.MustCompile(`Failing input written to (\S+)\s+To re-run:\s+go test -run=(\S+)`)

func tail(s string) string {
	if lines := strings.Split(s, "\n"); len(lines) > 60 {
		return strings.Join(lines[len(lines)-60:], "\n")
	}
	return s
}

// TestBudgetsCoverEveryTarget: every fuzz target in the module's test
// files (found by parsing them, not by the go command) has a budget, and
// every budget a target.
func TestBudgetsCoverEveryTarget(t *testing.T) {
	found := fuzzTargets(t, moduleRoot(t))
	if len(found) == 0 {
		t.Fatal("no fuzz targets found")
	}
	for _, k := range found {
		if _, ok := budgets[k]; !ok {
			t.Errorf("fuzz target %q has no budget: add it to budgets in internal/fuzzing/fuzzing_test.go", k)
		}
	}
	for k := range budgets {
		if !slices.Contains(found, k) {
			t.Errorf("budget for %q, which is no fuzz target: remove it", k)
		}
	}
}

// fuzzTargets returns "./package Target" for each FuzzXxx(*testing.F) in
// the module's test files (not in testdata, hidden directories or other
// modules).
func fuzzTargets(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || exists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && isFuzzTarget(fn) {
				out = append(out, "./"+filepath.ToSlash(rel)+" "+fn.Name.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// isFuzzTarget reports whether fn is func FuzzXxx(f *testing.F).
func isFuzzTarget(fn *ast.FuncDecl) bool {
	if fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") || len(fn.Type.Params.List) != 1 {
		return false
	}
	star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "F"
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func countFiles(dir string) int {
	entries, _ := os.ReadDir(dir)
	return len(entries)
}

// moduleRoot is the directory of the module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	return filepath.Dir(goOutput(t, "env", "GOMOD"))
}

// goOutput runs the go command and returns its output, trimmed.
func goOutput(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", args...).Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return string(bytes.TrimSpace(out))
}
