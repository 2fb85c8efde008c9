package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/bench"
	"github.com/rxclaims/rxclaims/internal/cli"
)

// TestOptions: a preset sets every figure, and only the flags given on
// the command line override it.
func TestOptions(t *testing.T) {
	var f flags
	args := []string{"--preset", "medium", "--members", "7", "--step", "3s", "--concurrency", "1,2", "--scale-edits", "-"}
	if err := parse(&f, args, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	want := bench.Medium()
	want.Members, want.StepDuration, want.Concurrency, want.ScaleEdits = 7, 3*time.Second, []int{1, 2}, []int{}
	want.OutDir = "bench-out"
	if got.Members != want.Members || got.StepDuration != want.StepDuration || got.History != want.History ||
		len(got.Concurrency) != 2 || got.ScaleEdits == nil || len(got.ScaleEdits) != 0 || got.OutDir != want.OutDir {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	f = flags{}
	if err := parse(&f, []string{"--rates", "x"}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.options(); err == nil || !strings.Contains(err.Error(), "--rates") {
		t.Errorf("--rates x: %v", err)
	}
	for arg, want := range map[string]string{"2026-11-30": "", "2026-02-30": "--today"} {
		f = flags{}
		if err := parse(&f, []string{"--today", arg}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		o, err := f.options()
		switch {
		case want == "" && (err != nil || o.Today.String() != arg):
			t.Errorf("--today %s: %v, %v", arg, o.Today, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("--today %s: %v; want an error naming %s", arg, err, want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "--version"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, &out, &out); !errors.Is(err, cli.ErrExited) || out.Len() == 0 {
			t.Errorf("%s: %v\n%s", arg, err, out.String())
		}
	}
}

func TestRedactDSN(t *testing.T) {
	got := strings.Join(redactDSN([]string{"--short", "--postgres-dsn", "postgres://u:secret@h/db", "--postgres-dsn=password=secret"}), " ")
	if strings.Contains(got, "secret") || got != "--short --postgres-dsn DSN --postgres-dsn=DSN" {
		t.Errorf("redactDSN: %q", got)
	}
}
