package domain

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong in a record or a bundle, at a path such as
// "families[3].members[0]" (empty when the message says where).
type Problem struct {
	Path string
	Err  error
}

func (p Problem) Error() string {
	if p.Path == "" {
		return p.Err.Error()
	}
	return p.Path + ": " + p.Err.Error()
}

func (p Problem) Unwrap() error { return p.Err }

// Problems are every problem validation found, in the order it found them:
// validation reports them all rather than stopping at the first. The error
// text is one problem a line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems' errors, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Add records err at path; nil adds nothing. The problems of a Problems err
// are added one by one, their paths put under path.
func (ps *Problems) Add(path string, err error) { ps.Wrap(path, "", err) }

// Addf records a problem at path with a formatted message.
func (ps *Problems) Addf(path, format string, args ...any) {
	ps.Add(path, fmt.Errorf(format, args...))
}

// Wrap is Add with prefix (when not empty) put before each message, as
// fmt.Errorf("prefix: %w") would.
func (ps *Problems) Wrap(path, prefix string, err error) {
	if err == nil {
		return
	}
	sub, ok := err.(Problems)
	if !ok {
		sub = Problems{{Err: err}}
	}
	for _, p := range sub {
		if prefix != "" {
			p.Err = fmt.Errorf("%s: %w", prefix, p.Err)
		}
		*ps = append(*ps, Problem{Path: JoinPath(path, p.Path), Err: p.Err})
	}
}

// Index is the path of an element of a list: Index("members", 0) is
// "members[0]".
func Index(list string, i int) string { return fmt.Sprintf("%s[%d]", list, i) }

// JoinPath joins two paths with a dot; either may be empty.
func JoinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasPrefix(b, "["):
		return a + b
	}
	return a + "." + b
}
