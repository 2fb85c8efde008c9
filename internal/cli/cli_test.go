package cli_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/rxclaims/rxclaims/internal/cli"
)

type grammar struct {
	Addr    string           `env:"CLI_TEST_ADDR" default:":1" help:"an address"`
	Version kong.VersionFlag `help:"Print the version and exit."`
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{nil, "", ":1"},
		{nil, "set but empty", ":1"},
		{nil, ":2", ":2"},
		{[]string{"--addr", ":3"}, ":2", ":3"},
	} {
		switch tc.env {
		case "":
			t.Setenv("CLI_TEST_ADDR", "")
			os.Unsetenv("CLI_TEST_ADDR")
		case "set but empty":
			t.Setenv("CLI_TEST_ADDR", "")
		default:
			t.Setenv("CLI_TEST_ADDR", tc.env)
		}
		var g grammar
		var out bytes.Buffer
		if _, err := cli.Parse("prog", &g, tc.args, &out, &out); err != nil || g.Addr != tc.want {
			t.Errorf("%q with env %q: got %q, %v; want %q", tc.args, tc.env, g.Addr, err, tc.want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "--version"} {
		var g grammar
		var out bytes.Buffer
		_, err := cli.Parse("prog", &g, []string{arg}, &out, &out)
		if !errors.Is(err, cli.ErrExited) {
			t.Fatalf("%s: %v", arg, err)
		}
		want := map[string]string{"--help": "$CLI_TEST_ADDR", "--version": "prog "}[arg]
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: output lacks %q:\n%s", arg, want, out.String())
		}
	}
}

func TestBadFlag(t *testing.T) {
	var g grammar
	if _, err := cli.Parse("prog", &g, []string{"--nope"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || errors.Is(err, cli.ErrExited) {
		t.Fatalf("got %v, want a parse error", err)
	}
}
