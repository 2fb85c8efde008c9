// Package proto_test checks the API definitions with buf and that the
// checked-in generated Go code is what the pinned generators produce.
// buf and the protoc plugins come from internal/tools/go.mod through
// `go tool`; the first run builds buf, which takes a few minutes.
package proto_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const regenerate = "run: go tool -modfile=internal/tools/go.mod buf generate proto --template proto/buf.gen.yaml"

// moduleRoot is the module's root: go test runs a test in its package's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// goTool runs `go tool -modfile=internal/tools/go.mod args...` in the module
// root, with a timeout generous enough to build buf on a cold machine.
func goTool(t *testing.T, root string, args ...string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	timeout := 15 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 10*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, append([]string{"tool", "-modfile=internal/tools/go.mod"}, args...)...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	t.Logf("running go tool %s (the first run builds buf: minutes on a cold machine)", strings.Join(args, " "))
	err = cmd.Run()
	t.Logf("go tool %s: %s", args[0]+" "+args[1], time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("go tool %s timed out after %s:\n%s", strings.Join(args, " "), timeout, out.String())
	}
	if err != nil {
		t.Fatalf("go tool %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

func TestBufLint(t *testing.T) {
	goTool(t, moduleRoot(t), "buf", "lint", "proto")
}

// TestGeneratedCodeIsCurrent generates into a temporary directory with a copy
// of proto/buf.gen.yaml whose outputs are redirected, and compares every file
// byte for byte with the checked-in code.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	root := moduleRoot(t)
	tmp := t.TempDir()
	tmplPath, outDirs := redirectTemplate(t, root, tmp)
	goTool(t, root, "buf", "generate", "proto", "--template", tmplPath)
	generated := compareGenerated(t, root, filepath.Join(tmp, "out"), outDirs)
	if len(generated) == 0 {
		t.Fatal("buf generate produced no files")
	}
	checkStale(t, root, outDirs, generated)
	t.Logf("%d generated files compared", len(generated))
}

// redirectTemplate writes into tmp a copy of proto/buf.gen.yaml whose
// plugins write under tmp/out, and returns its path and the plugins' out
// directories as buf.gen.yaml gives them (relative to the module root).
func redirectTemplate(t *testing.T, root, tmp string) (string, []string) {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(root, "proto", "buf.gen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var gen map[string]any
	if err := yaml.Unmarshal(tmpl, &gen); err != nil {
		t.Fatalf("proto/buf.gen.yaml: %v", err)
	}
	plugins, _ := gen["plugins"].([]any)
	if len(plugins) == 0 {
		t.Fatal("proto/buf.gen.yaml has no plugins")
	}
	var outDirs []string
	for i, p := range plugins {
		plugin, ok := p.(map[string]any)
		out, _ := plugin["out"].(string)
		if !ok || out == "" || filepath.IsAbs(out) {
			t.Fatalf("proto/buf.gen.yaml plugin %d: want a relative out directory, got %v", i+1, p)
		}
		outDirs = append(outDirs, filepath.Clean(out))
		plugin["out"] = filepath.Join(tmp, "out", out)
	}
	slices.Sort(outDirs)
	redirected, err := yaml.Marshal(gen)
	if err != nil {
		t.Fatal(err)
	}
	tmplPath := filepath.Join(tmp, "buf.gen.yaml")
	if err := os.WriteFile(tmplPath, redirected, 0o644); err != nil {
		t.Fatal(err)
	}
	return tmplPath, slices.Compact(outDirs)
}

// compareGenerated compares every file generated under out with the one
// checked in under root, and returns the generated files' paths relative
// to both.
func compareGenerated(t *testing.T, root, out string, outDirs []string) map[string]bool {
	t.Helper()
	generated := map[string]bool{}
	for _, dir := range outDirs {
		err := filepath.WalkDir(filepath.Join(out, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(out, path)
			if err != nil {
				return err
			}
			generated[rel] = true
			return compareFile(t, path, filepath.Join(root, rel), rel)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return generated
}

// compareFile reports a checked-in file that is missing or differs from
// the generated one.
func compareFile(t *testing.T, generatedPath, checkedIn, rel string) error {
	t.Helper()
	want, err := os.ReadFile(generatedPath)
	if err != nil {
		return err
	}
	got, err := os.ReadFile(checkedIn)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		t.Errorf("%s is generated but not checked in; %s", rel, regenerate)
	case err != nil:
		return err
	case !bytes.Equal(got, want):
		t.Errorf("%s differs from what the generators produce (first difference at byte %d); %s",
			rel, firstDiff(got, want), regenerate)
	}
	return nil
}

// checkStale reports a checked-in generated file that the generators no
// longer produce.
func checkStale(t *testing.T, root string, outDirs []string, generated map[string]bool) {
	t.Helper()
	for _, dir := range outDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".pb.go") {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err == nil && !generated[rel] {
				t.Errorf("%s is checked in but no longer generated; delete it and %s", rel, regenerate)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
