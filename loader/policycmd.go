package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rxclaims/rxclaims/loader/parse"
)

// PolicyArgs are the arguments of a policy command (cmd/loader's
// `policy SUB`).
type PolicyArgs struct {
	Sub, Group, Family, Person, User, Reason string
	FileType                                 parse.FileType
	Set                                      []string // FIELD=VALUE
}

// PolicyCommand runs a policy subcommand (pending, history, approve,
// reject, change) and writes its outcome.
func (l *Loader) PolicyCommand(ctx context.Context, w io.Writer, a PolicyArgs) error {
	if a.Sub != "pending" && (a.Group == "" || a.Family == "") {
		return fmt.Errorf("policy %s needs --group and --family", a.Sub)
	}
	switch a.Sub {
	case "pending":
		return l.writePending(w, a.Group)
	case "history":
		vs, err := l.PolicyHistory(a.Group, a.Family)
		if err != nil {
			return err
		}
		WritePolicies(w, vs, true)
		return nil
	}
	v, err := l.decidePolicy(ctx, a)
	if err != nil {
		return err
	}
	WritePolicies(w, []PolicyVersion{*v}, false)
	return nil
}

func (l *Loader) writePending(w io.Writer, group string) error {
	vs, err := l.PendingPolicies(group)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		fmt.Fprintln(w, "no pending policy versions")
	}
	WritePolicies(w, vs, false)
	return nil
}

// decidePolicy runs the policy commands that make or decide a version.
func (l *Loader) decidePolicy(ctx context.Context, a PolicyArgs) (*PolicyVersion, error) {
	switch a.Sub {
	case "approve":
		return l.ApprovePolicy(ctx, a.Group, a.Family, a.User)
	case "reject":
		return l.RejectPolicy(ctx, a.Group, a.Family, a.User, a.Reason)
	case "change":
		set, err := parseAssignments(a.Set)
		if err != nil {
			return nil, err
		}
		if a.Person == "" || len(set) == 0 {
			return nil, errors.New("policy change needs --person and at least one FIELD=VALUE")
		}
		return l.ChangePolicy(ctx, a.Group, a.Family, a.Person, a.User, a.FileType, set)
	}
	return nil, fmt.Errorf("unknown policy command %q (pending, history, approve, reject, change)", a.Sub)
}

// parseAssignments reads FIELD=VALUE arguments.
func parseAssignments(args []string) (map[string]string, error) {
	set := map[string]string{}
	for _, kv := range args {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("policy change: %q is not FIELD=VALUE", kv)
		}
		set[k] = val
	}
	return set, nil
}
