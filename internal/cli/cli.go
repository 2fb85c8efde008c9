// Package cli parses the command lines of the rxclaims binaries with kong,
// the one CLI library they all use: flags with their environment variables
// (a flag on the command line wins), --help (exit 0, environment variables
// listed) and --version (buildinfo's version string, exit 0).
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/alecthomas/kong"
	"github.com/rxclaims/rxclaims/internal/buildinfo"
)

// ErrExited is returned by Parse when --help or --version has been
// answered: the program should exit with status 0.
var ErrExited = errors.New("exited after --help or --version")

// exitCode carries kong's exit request out of Parse.
type exitCode int

// Parse parses args (without the program name) into grammar, a kong
// struct. Help and version go to stdout, and parsing never exits the
// process: --help and --version return ErrExited.
func Parse(name string, grammar any, args []string, stdout, stderr io.Writer, options ...kong.Option) (kctx *kong.Context, err error) {
	opts := append([]kong.Option{
		kong.Name(name),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitCode(code)) }),
		kong.Vars{"version": buildinfo.String(name)},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	}, options...)
	parser, err := kong.New(grammar, opts...)
	if err != nil {
		return nil, err
	}
	ignoreEmptyEnvs(parser.Model.Node)
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		code, ok := r.(exitCode)
		if !ok {
			panic(r)
		}
		kctx = nil
		err = ErrExited
		if code != 0 {
			err = fmt.Errorf("%s: exit status %d", name, code)
		}
	}()
	return parser.Parse(args)
}

// ignoreEmptyEnvs makes an environment variable set to "" count as unset
// (kong would take its empty value), as the mains' hand-written flag
// handling did: RXCLAIMS_DATA_DIR= still means ./data, and an empty
// RXCLAIMS_USER falls back to USER.
func ignoreEmptyEnvs(n *kong.Node) {
	for _, f := range n.Flags {
		f.Tag.Envs = slices.DeleteFunc(slices.Clone(f.Tag.Envs), func(env string) bool {
			v, ok := os.LookupEnv(env)
			return ok && v == ""
		})
	}
	for _, c := range n.Children {
		ignoreEmptyEnvs(c)
	}
}
