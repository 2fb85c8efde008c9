// Package lint holds the repository-wide checks that run with the test
// suite. golangci-lint (pinned in internal/tools/go.mod, configured in
// .golangci.yml at the repository root) checks gofmt, go vet, function
// length and the import rules of DESIGN.md; this package runs it once
// over the whole module and fails on any finding.
//
// depguard sees only a file's direct imports. The import rules are about
// what a package links, so TestTransitiveImportRules checks with go list that
// nothing forbidden comes in through another package either.
package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// moduleRoot returns the repository root: the nearest directory at or above
// the working directory (the package directory, under go test) that holds
// go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

func goBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on PATH")
	}
	return p
}

// toolEnv is the environment for the go commands the tests start: the
// test's own, without -race (or -cover, -msan, -asan) in GOFLAGS, so that
// `go test -race` never makes `go tool` build golangci-lint with the race
// detector, which would be slow to build and to run.
func toolEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			var keep []string
			for _, f := range strings.Fields(v) {
				name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
				if name != "race" && name != "msan" && name != "asan" && !strings.HasPrefix(name, "cover") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	return env
}

// run runs name args in dir and returns stdout; stderr is added to the error.
func run(t *testing.T, dir, name string, args ...string) ([]byte, error) {
	t.Helper()
	timeout := 15 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 10*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = toolEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	command := filepath.Base(name) + " " + strings.Join(args, " ")
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s (in %s): %s", command, dir, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w\n%s%s", command, err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

// golangciLint runs golangci-lint, built from the tools module of the
// repository at root, in dir: `go tool -modfile=... golangci-lint run args...`.
func golangciLint(t *testing.T, root, dir string, args ...string) ([]byte, error) {
	t.Helper()
	modfile := filepath.Join(root, "internal", "tools", "go.mod")
	return run(t, dir, goBin(t), append([]string{"tool", "-modfile=" + modfile, "golangci-lint", "run"}, args...)...)
}

// TestGolangciLint runs golangci-lint once over the whole module. The first
// run builds golangci-lint; later runs use the build and analysis caches.
func TestGolangciLint(t *testing.T) {
	root := moduleRoot(t)
	if out, err := golangciLint(t, root, root, "./..."); err != nil {
		t.Errorf("golangci-lint reported problems (configuration: .golangci.yml):\n%v", err)
	} else if len(bytes.TrimSpace(out)) > 0 {
		t.Logf("%s", out)
	}
}

// TestGolangciLintCatchesViolations runs the repository's configuration on a
// small module with one violation of each kind, so that a configuration
// that silently matches nothing (a wrong path pattern, a linter dropped)
// does not go unnoticed.
func TestGolangciLintCatchesViolations(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	root := moduleRoot(t)
	tmp := t.TempDir()
	long := "package internal\n\nfunc Long() int {\n\tx := 0\n" + strings.Repeat("\tx++\n", 90) + "\treturn x\n}\n"
	for name, src := range map[string]string{
		"go.mod":                  "module github.com/rxclaims/rxclaims\n\ngo 1.26\n",
		"internal/store/store.go": "package store\n\nconst Name = \"store\"\n",
		"internal/long.go":        long,
		"edits/edits.go":          "package edits\n\nimport \"github.com/rxclaims/rxclaims/internal/ok\"\n\nvar _ = ok.Name\n",
		"adjudicator/store.go":    "package adjudicator\n\nimport \"github.com/rxclaims/rxclaims/internal/store\"\n\nvar _ = store.Name\n",
		"accumulators/adj.go":     "package accumulators\n\nimport \"github.com/rxclaims/rxclaims/adjudicator\"\n\nvar _ = adjudicator.F\n",
		"loader/loader.go":        "package loader\n\nimport \"github.com/rxclaims/rxclaims/internal/store\"\n\nvar _ = store.Name\n",
		"domain/domain.go":        "package domain\n\nimport \"github.com/rxclaims/rxclaims/internal\"\n\nvar _ = internal.Long\n",
		"adjudicator/fmt.go":      "package adjudicator\nfunc  F( ) {}\n",
		"accumulators/vet.go":     "package accumulators\n\nimport \"fmt\"\n\nfunc F() string { return fmt.Sprintf(\"%d\", \"x\") }\n",
		"edits/edits_test.go":     "package edits\n\nimport \"github.com/rxclaims/rxclaims/internal/store\"\n\nvar _ = store.Name\n",
		"internal/ok/ok.go":       "package ok\n\nimport \"github.com/rxclaims/rxclaims/internal/store\"\n\nconst Name = store.Name\n",
		"internal/gen/gen.pb.go":  "// Code generated by hand for a test. DO NOT EDIT.\n\n" + strings.Replace(long, "package internal", "package gen", 1),
	} {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := golangciLint(t, root, tmp, "--config="+filepath.Join(root, ".golangci.yml"), "./...")
	if err == nil {
		t.Fatalf("golangci-lint found nothing wrong:\n%s", out)
	}
	report := err.Error()
	for _, want := range []string{
		"edits/edits.go:3:8: import 'github.com/rxclaims/rxclaims/internal/ok' is not allowed from list 'edits'",
		"adjudicator/store.go:3:8: import 'github.com/rxclaims/rxclaims/internal/store' is not allowed from list 'adjudicator'",
		"accumulators/adj.go:3:8: import 'github.com/rxclaims/rxclaims/adjudicator' is not allowed from list 'accumulators'",
		"loader/loader.go:3:8: import 'github.com/rxclaims/rxclaims/internal/store' is not allowed from list 'loader'",
		"domain/domain.go:3:8: import 'github.com/rxclaims/rxclaims/internal' is not allowed from list 'domain'",
		"internal/long.go:3:6: Function 'Long' is too long (92 > 80) (funlen)",
		"adjudicator/fmt.go:2:1: File is not properly formatted (gofmt)",
		"accumulators/vet.go:5:39: printf: fmt.Sprintf format %d has arg \"x\" of wrong type string (govet)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("golangci-lint output lacks %q", want)
		}
	}
	for _, unwanted := range []string{"edits_test.go", "internal/ok/", "gen.pb.go"} {
		if strings.Contains(report, unwanted) {
			t.Errorf("golangci-lint reported %s", unwanted)
		}
	}
	t.Logf("golangci-lint output:\n%s", report)
}

// pkg is the part of `go list -json` the transitive import rules read.
type pkg struct {
	ImportPath string
	Standard   bool
	DepOnly    bool
	Imports    []string // direct, non-test
	Deps       []string // transitive, non-test
}

// under reports whether path is p or inside it.
func under(path, p string) bool { return path == p || strings.HasPrefix(path, p+"/") }

// forbiddenDeps are what the domain packages (edits, accumulators,
// adjudicator, domain, config) must not link; see the depguard rules of
// .golangci.yml.
var forbiddenDeps = []string{
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/prometheus",
	"github.com/cockroachdb/pebble",
	"/proto",
	"/internal/server",
	"/internal/metrics",
	"/internal/store",
}

// why returns the rule that p breaks by depending on dep, or "". byPath
// tells standard-library packages apart.
func why(module, p, dep string, byPath map[string]pkg) string {
	if under(p, module+"/loader") || under(p, module+"/cmd/loader") {
		return loaderWhy(module, dep)
	}
	for _, f := range forbiddenDeps {
		if strings.HasPrefix(f, "/") {
			f = module + f
		}
		if under(dep, f) {
			return "the domain packages never link gRPC, protobuf, Prometheus, Pebble, the generated API, the store or the server plumbing"
		}
	}
	for _, own := range []string{"/edits", "/domain"} {
		if !under(p, module+own) {
			continue
		}
		d, known := byPath[dep]
		std := known && d.Standard
		if !known { // not in the listing: fall back to the standard library's naming rule
			std = !strings.Contains(strings.Split(dep, "/")[0], ".")
		}
		if !std && !under(dep, "github.com/shopspring/decimal") && !under(dep, module+own) &&
			(own != "/edits" || !under(dep, module+"/domain")) {
			return own[1:] + " may link only the standard library and github.com/shopspring/decimal (edits also domain)"
		}
	}
	if (under(p, module+"/accumulators") || under(p, module+"/domain") || under(p, module+"/config")) && under(dep, module+"/adjudicator") {
		return "accumulators, domain and config must not link adjudicator"
	}
	return ""
}

// loaderWhy is the loader's rule: it talks to the adjudicator through the
// generated client and keeps its own store, so it links neither the
// adjudicator nor the adjudicator's store.
func loaderWhy(module, dep string) string {
	if under(dep, module+"/adjudicator") || under(dep, module+"/internal/store") {
		return "the loader must not link the adjudicator or its store (use the generated client, and domain for shared types)"
	}
	return ""
}

// transitiveViolations reports, for each package the rules cover, the
// forbidden packages it depends on without importing them directly (direct
// imports are depguard's), explained by the direct import that brings them
// in. Test files are not considered: go list's Imports and Deps exclude them.
func transitiveViolations(module string, pkgs []pkg) []string {
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []string
	for _, p := range pkgs {
		if p.DepOnly || !slices.ContainsFunc([]string{"/edits", "/accumulators", "/adjudicator", "/domain", "/config", "/loader", "/cmd/loader"},
			func(d string) bool { return under(p.ImportPath, module+d) }) {
			continue
		}
		direct := map[string]bool{}
		for _, imp := range p.Imports {
			direct[imp] = true
		}
		explained := map[string]bool{}
		for _, imp := range p.Imports {
			var bad []string
			for _, dep := range byPath[imp].Deps {
				if !direct[dep] && !explained[dep] && why(module, p.ImportPath, dep, byPath) != "" {
					bad = append(bad, dep)
					explained[dep] = true
				}
			}
			if len(bad) > 0 {
				slices.Sort(bad)
				out = append(out, fmt.Sprintf("%s imports %s, which brings in %s (%d such packages in all): %s",
					p.ImportPath, imp, bad[0], len(bad), why(module, p.ImportPath, bad[0], byPath)))
			}
		}
		for _, dep := range p.Deps {
			if !direct[dep] && !explained[dep] {
				if rule := why(module, p.ImportPath, dep, byPath); rule != "" {
					out = append(out, fmt.Sprintf("%s depends on %s: %s", p.ImportPath, dep, rule))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestTransitiveImportRulesCatchViolations(t *testing.T) {
	const m = "example.com/m"
	clean := []pkg{
		{ImportPath: m + "/edits", Imports: []string{"fmt", "github.com/shopspring/decimal"}, Deps: []string{"fmt", "github.com/shopspring/decimal", "math/big"}},
		{ImportPath: m + "/accumulators", Imports: []string{m + "/edits"}, Deps: []string{m + "/edits", "github.com/shopspring/decimal"}},
		{ImportPath: m + "/adjudicator", Imports: []string{m + "/edits", m + "/internal/ncpdp"}, Deps: []string{m + "/edits", m + "/internal/ncpdp", "sigs.k8s.io/yaml"}},
		{ImportPath: m + "/domain", Imports: []string{"time", "github.com/shopspring/decimal"}, Deps: []string{"time", "github.com/shopspring/decimal", "math/big"}},
		{ImportPath: m + "/internal/server", Imports: []string{"google.golang.org/grpc", m + "/adjudicator"}, Deps: []string{"google.golang.org/grpc", m + "/adjudicator"}},
		{ImportPath: m + "/loader", Imports: []string{"google.golang.org/grpc", m + "/internal/wire/enrollwire"},
			Deps: []string{"google.golang.org/grpc", "google.golang.org/protobuf/proto", m + "/internal/wire/enrollwire", m + "/proto/rxclaims/v1"}},
		{ImportPath: "fmt", Standard: true, DepOnly: true},
		{ImportPath: "time", Standard: true, DepOnly: true},
		{ImportPath: "math/big", Standard: true, DepOnly: true},
		{ImportPath: "github.com/shopspring/decimal", DepOnly: true, Imports: []string{"math/big"}, Deps: []string{"math/big"}},
		{ImportPath: "google.golang.org/grpc", DepOnly: true, Imports: []string{"google.golang.org/protobuf/proto"}},
	}
	if v := transitiveViolations(m, clean); len(v) != 0 {
		t.Errorf("clean graph reported: %v", v)
	}
	// A direct import is depguard's to report, not this check's.
	direct := pkg{ImportPath: m + "/adjudicator", Imports: []string{"google.golang.org/grpc"}, Deps: []string{"google.golang.org/grpc"}}
	if v := transitiveViolations(m, append(slices.Clone(clean), direct)); len(v) != 0 {
		t.Errorf("direct import reported: %v", v)
	}
	x := m + "/internal/x"
	for name, bad := range map[string]pkg{
		"edits non-std":              {ImportPath: m + "/edits", Imports: []string{x}, Deps: []string{x, "sigs.k8s.io/yaml"}},
		"edits sub-package non-std":  {ImportPath: m + "/edits/index", Deps: []string{"github.com/google/btree"}},
		"edits via accumulators":     {ImportPath: m + "/edits", Imports: []string{"fmt"}, Deps: []string{"fmt", m + "/accumulators"}},
		"adjudicator grpc":           {ImportPath: m + "/adjudicator", Imports: []string{x}, Deps: []string{x, "google.golang.org/grpc/codes"}},
		"adjudicator proto indirect": {ImportPath: m + "/adjudicator", Imports: []string{x}, Deps: []string{x, "google.golang.org/protobuf/proto"}},
		"adjudicator prometheus":     {ImportPath: m + "/adjudicator", Deps: []string{"github.com/prometheus/client_golang/prometheus"}},
		"adjudicator pebble":         {ImportPath: m + "/adjudicator", Deps: []string{"github.com/cockroachdb/pebble/v2"}},
		"adjudicator generated API":  {ImportPath: m + "/adjudicator", Deps: []string{m + "/proto/rxclaims/v1"}},
		"adjudicator store":          {ImportPath: m + "/adjudicator", Deps: []string{m + "/internal/store"}},
		"adjudicator server":         {ImportPath: m + "/adjudicator/sub", Deps: []string{m + "/internal/server"}},
		"accumulators metrics":       {ImportPath: m + "/accumulators", Deps: []string{m + "/internal/metrics"}},
		"accumulators adjudicator":   {ImportPath: m + "/accumulators", Deps: []string{m + "/adjudicator"}},
		"domain non-std":             {ImportPath: m + "/domain", Deps: []string{"sigs.k8s.io/yaml"}},
		"domain edits":               {ImportPath: m + "/domain/money", Deps: []string{m + "/edits"}},
		"config grpc":                {ImportPath: m + "/config", Deps: []string{"google.golang.org/grpc"}},
		"config adjudicator":         {ImportPath: m + "/config", Deps: []string{m + "/adjudicator"}},
		"loader adjudicator":         {ImportPath: m + "/loader", Imports: []string{m + "/internal/wire"}, Deps: []string{m + "/internal/wire", m + "/adjudicator"}},
		"loader store":               {ImportPath: m + "/loader/state", Deps: []string{m + "/internal/store"}},
		"cmd/loader adjudicator":     {ImportPath: m + "/cmd/loader", Deps: []string{m + "/adjudicator"}},
	} {
		if v := transitiveViolations(m, append(slices.Clone(clean), bad)); len(v) == 0 {
			t.Errorf("%s: no violation reported", name)
		}
	}
}

func TestTransitiveImportRules(t *testing.T) {
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
	for _, v := range transitiveViolations(module, pkgs) {
		t.Error(v)
	}
}
