// Package lint holds repository-wide checks that run with the test suite:
// gofmt, go vet, and the import rules of ARCHITECTURE.md (the domain
// packages never import gRPC, the generated proto, Prometheus or the
// server plumbing; edits needs only the standard library and decimal;
// accumulators does not import adjudicator).
package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// moduleRoot is the module's root: go test runs a test in its package's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func goBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	return p
}

// run runs name args in dir and returns stdout; stderr is added to the error.
func run(t *testing.T, dir, name string, args ...string) ([]byte, error) {
	t.Helper()
	timeout := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 10*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	command := filepath.Base(name) + " " + strings.Join(args, " ")
	if len(command) > 100 {
		command = command[:97] + "..."
	}
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s: %s", command, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w\n%s%s", command, err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

// goFiles lists the repository's .go files relative to root, skipping only
// testdata directories (and .git).
func goFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".go") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func gofmtBin(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command(goBin(t), "env", "GOROOT").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "gofmt")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("gofmt")
	if err != nil {
		t.Skip("gofmt not found")
	}
	return p
}

// gofmtList returns the files among files (relative to dir) that gofmt -l reports.
func gofmtList(t *testing.T, gofmt, dir string, files []string) []string {
	t.Helper()
	var bad []string
	for chunk := range slices.Chunk(files, 200) {
		out, err := run(t, dir, gofmt, append([]string{"-l"}, chunk...)...)
		if err != nil {
			t.Fatal(err)
		}
		bad = append(bad, strings.Fields(string(out))...)
	}
	return bad
}

func TestGofmt(t *testing.T) {
	gofmt := gofmtBin(t)

	// The check itself notices a badly formatted file.
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(tmp, "bad.go"), []byte("package p\nfunc  f( ) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := gofmtList(t, gofmt, tmp, []string{"bad.go"}); !slices.Equal(got, []string{"bad.go"}) {
		t.Fatalf("gofmt -l on a badly formatted file reported %v", got)
	}

	root := moduleRoot(t)
	files := goFiles(t, root)
	if len(files) < 10 {
		t.Fatalf("only %d .go files found under %s", len(files), root)
	}
	if bad := gofmtList(t, gofmt, root, files); len(bad) > 0 {
		t.Errorf("these files are not gofmt-formatted (run gofmt -w on them):\n\t%s", strings.Join(bad, "\n\t"))
	}
}

func TestVet(t *testing.T) {
	if _, err := run(t, moduleRoot(t), goBin(t), "vet", "./..."); err != nil {
		t.Error(err)
	}
}

// pkg is the part of `go list -json` the import rules read.
type pkg struct {
	ImportPath string
	Standard   bool
	DepOnly    bool
	Imports    []string // direct, non-test
	Deps       []string // transitive, non-test
}

// under reports whether path is p or inside it.
func under(path, p string) bool { return path == p || strings.HasPrefix(path, p+"/") }

// importViolations applies the rules of ARCHITECTURE.md to the module's
// packages (and their dependencies, for the standard-library test). Test
// files are not considered: go list's Imports and Deps exclude them.
func importViolations(module string, pkgs []pkg) []string {
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	forbidden := []string{
		"google.golang.org/grpc",
		"google.golang.org/protobuf",
		"github.com/prometheus",
		module + "/proto",
		module + "/internal/server",
		module + "/internal/metrics",
		module + "/internal/store",
	}
	// why returns the rule dep breaks when imported by p, or "".
	why := func(p, dep string) string {
		for _, f := range forbidden {
			if under(dep, f) {
				return "the domain packages never import gRPC, protobuf, Prometheus, the generated API or the server plumbing"
			}
		}
		if under(p, module+"/edits") {
			d, known := byPath[dep]
			std := known && d.Standard
			if !known { // not in the listing: fall back to the standard library's naming rule
				std = !strings.Contains(strings.Split(dep, "/")[0], ".")
			}
			if !std && !under(dep, "github.com/shopspring/decimal") && !under(dep, module+"/edits") {
				return "edits may import only the standard library and github.com/shopspring/decimal"
			}
		}
		if under(p, module+"/accumulators") && under(dep, module+"/adjudicator") {
			return "accumulators must not import adjudicator"
		}
		return ""
	}
	var out []string
	for _, p := range pkgs {
		if p.DepOnly {
			continue
		}
		domain := under(p.ImportPath, module+"/edits") || under(p.ImportPath, module+"/accumulators") || under(p.ImportPath, module+"/adjudicator")
		if !domain {
			continue
		}
		// Every offending package in p's transitive imports, explained by the
		// direct import that brings it in: one line per direct import.
		explained := map[string]bool{}
		for _, imp := range p.Imports {
			if rule := why(p.ImportPath, imp); rule != "" {
				out = append(out, fmt.Sprintf("%s imports %s: %s", p.ImportPath, imp, rule))
				explained[imp] = true
			}
			var bad []string
			for _, dep := range byPath[imp].Deps {
				if why(p.ImportPath, dep) != "" && !explained[dep] {
					bad = append(bad, dep)
					explained[dep] = true
				}
			}
			if len(bad) > 0 {
				slices.Sort(bad)
				out = append(out, fmt.Sprintf("%s imports %s, which brings in %s (%d such packages in all): %s",
					p.ImportPath, imp, bad[0], len(bad), why(p.ImportPath, bad[0])))
			}
		}
		for _, dep := range p.Deps {
			if rule := why(p.ImportPath, dep); rule != "" && !explained[dep] {
				out = append(out, fmt.Sprintf("%s depends on %s: %s", p.ImportPath, dep, rule))
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestImportRulesCatchViolations(t *testing.T) {
	const m = "example.com/m"
	clean := []pkg{
		{ImportPath: m + "/edits", Imports: []string{"fmt", "github.com/shopspring/decimal"}, Deps: []string{"fmt", "github.com/shopspring/decimal", "math/big"}},
		{ImportPath: m + "/accumulators", Imports: []string{m + "/edits"}, Deps: []string{m + "/edits", "github.com/shopspring/decimal"}},
		{ImportPath: m + "/adjudicator", Imports: []string{m + "/edits", m + "/internal/ncpdp"}, Deps: []string{m + "/edits", m + "/internal/ncpdp", "sigs.k8s.io/yaml"}},
		{ImportPath: m + "/internal/server", Imports: []string{"google.golang.org/grpc", m + "/adjudicator"}, Deps: []string{"google.golang.org/grpc", m + "/adjudicator"}},
		{ImportPath: "fmt", Standard: true, DepOnly: true},
		{ImportPath: "math/big", Standard: true, DepOnly: true},
		{ImportPath: "github.com/shopspring/decimal", DepOnly: true},
		{ImportPath: "google.golang.org/grpc", DepOnly: true, Imports: []string{"google.golang.org/protobuf/proto"}},
	}
	if v := importViolations(m, clean); len(v) != 0 {
		t.Errorf("clean graph reported: %v", v)
	}
	for name, bad := range map[string]pkg{
		"edits non-std":              {ImportPath: m + "/edits", Imports: []string{"sigs.k8s.io/yaml"}, Deps: []string{"sigs.k8s.io/yaml"}},
		"edits sub-package non-std":  {ImportPath: m + "/edits/index", Deps: []string{"github.com/google/btree"}},
		"edits imports accumulators": {ImportPath: m + "/edits", Imports: []string{m + "/accumulators"}, Deps: []string{m + "/accumulators"}},
		"adjudicator grpc":           {ImportPath: m + "/adjudicator", Imports: []string{"google.golang.org/grpc/codes"}, Deps: []string{"google.golang.org/grpc/codes"}},
		"adjudicator proto indirect": {ImportPath: m + "/adjudicator", Imports: []string{m + "/internal/x"}, Deps: []string{m + "/internal/x", "google.golang.org/protobuf/proto"}},
		"adjudicator prometheus":     {ImportPath: m + "/adjudicator", Deps: []string{"github.com/prometheus/client_golang/prometheus"}},
		"adjudicator generated API":  {ImportPath: m + "/adjudicator", Deps: []string{m + "/proto/rxclaims/v1"}},
		"adjudicator store":          {ImportPath: m + "/adjudicator", Deps: []string{m + "/internal/store"}},
		"adjudicator server":         {ImportPath: m + "/adjudicator/sub", Deps: []string{m + "/internal/server"}},
		"accumulators metrics":       {ImportPath: m + "/accumulators", Deps: []string{m + "/internal/metrics"}},
		"accumulators adjudicator":   {ImportPath: m + "/accumulators", Deps: []string{m + "/adjudicator"}},
	} {
		if v := importViolations(m, append(slices.Clone(clean), bad)); len(v) == 0 {
			t.Errorf("%s: no violation reported", name)
		}
	}
}

func TestImportRules(t *testing.T) {
	root := moduleRoot(t)
	out, err := run(t, root, goBin(t), "list", "-deps", "-json=ImportPath,Standard,DepOnly,Imports,Deps,Module", "./...")
	if err != nil {
		t.Fatal(err)
	}
	var module string
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			pkg
			Module *struct {
				Path string
				Main bool
			}
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Module != nil && p.Module.Main {
			module = p.Module.Path
		}
		pkgs = append(pkgs, p.pkg)
	}
	if module == "" {
		t.Fatal("go list reported no package of the main module")
	}
	seen := 0
	for _, p := range pkgs {
		if !p.DepOnly && (p.ImportPath == module+"/edits" || p.ImportPath == module+"/accumulators" || p.ImportPath == module+"/adjudicator") {
			seen++
		}
	}
	if seen != 3 {
		t.Fatalf("go list found %d of the packages edits, accumulators and adjudicator under %s", seen, module)
	}
	for _, v := range importViolations(module, pkgs) {
		t.Error(v)
	}
}
