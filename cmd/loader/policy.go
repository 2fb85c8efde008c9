package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rxclaims/rxclaims/loader"
	"github.com/rxclaims/rxclaims/loader/parse"
)

// PolicyCmd groups the member policy commands.
type PolicyCmd struct {
	Pending PolicyPendingCmd `cmd:"" help:"Pending policy copies and the rules that pended them."`
	History PolicyHistoryCmd `cmd:"" help:"Every version of a family's policy."`
	Approve PolicyApproveCmd `cmd:"" help:"Approve the pending copy (then sync; needs --profiles)."`
	Reject  PolicyRejectCmd  `cmd:"" help:"Reject the pending copy."`
	Change  PolicyChangeCmd  `cmd:"" help:"A manual change, through the workflow (needs --profiles)."`
}

// PolicyFamily names a family (the policy commands' --group and --family).
type PolicyFamily struct {
	Group  string `required:"" help:"The group."`
	Family string `required:"" help:"The family (cardholder ID)."`
}

// PolicyPendingCmd lists pending copies.
type PolicyPendingCmd struct {
	Group string `help:"Only this group's."`
}

// Run lists them.
func (c *PolicyPendingCmd) Run(ctx context.Context, g *Globals) error {
	return policy(ctx, g, loader.PolicyArgs{Sub: "pending", Group: strings.ToUpper(c.Group)})
}

// PolicyHistoryCmd lists a family's versions.
type PolicyHistoryCmd struct {
	PolicyFamily `embed:""`
}

// Run lists them.
func (c *PolicyHistoryCmd) Run(ctx context.Context, g *Globals) error {
	return policy(ctx, g, c.args("history"))
}

// PolicyApproveCmd approves a pending copy.
type PolicyApproveCmd struct {
	PolicyFamily `embed:""`
	User         string `required:"" help:"The operator approving."`
}

// Run approves and syncs.
func (c *PolicyApproveCmd) Run(ctx context.Context, g *Globals) error {
	a := c.args("approve")
	a.User = c.User
	return policy(ctx, g, a)
}

// PolicyRejectCmd rejects a pending copy.
type PolicyRejectCmd struct {
	PolicyFamily `embed:""`
	User         string `required:"" help:"The operator rejecting."`
	Reason       string `required:"" help:"Why."`
}

// Run rejects.
func (c *PolicyRejectCmd) Run(ctx context.Context, g *Globals) error {
	a := c.args("reject")
	a.User, a.Reason = c.User, c.Reason
	return policy(ctx, g, a)
}

// PolicyChangeCmd makes a manual change.
type PolicyChangeCmd struct {
	PolicyFamily `embed:""`
	Person       string   `required:"" help:"The member's person code."`
	User         string   `required:"" help:"The operator making the change."`
	FileType     string   `default:"eligibility" enum:"eligibility,participation" help:"participation or eligibility."`
	Set          []string `arg:"" name:"FIELD=VALUE" help:"The fields to change."`
}

// Run makes the change (the group's profile validates it) and syncs.
func (c *PolicyChangeCmd) Run(ctx context.Context, g *Globals) error {
	a := c.args("change")
	a.Person, a.User, a.FileType, a.Set = c.Person, c.User, parse.FileType(c.FileType), c.Set
	return policy(ctx, g, a)
}

// needProfiles refuses a policy command that reads the group's profile
// (the change's validation, maker-checker) when no profiles are given.
func needProfiles(g *Globals, sub string) error {
	if g.Profiles == "" {
		return fmt.Errorf("policy %s needs --profiles (or RXCLAIMS_LOADER_PROFILES): it reads the group's profile", sub)
	}
	return nil
}

func (f PolicyFamily) args(sub string) loader.PolicyArgs {
	return loader.PolicyArgs{Sub: sub, Group: strings.ToUpper(f.Group), Family: strings.ToUpper(f.Family)}
}

// policy runs a policy command, syncing after an approval or change. When
// `loader run` holds the state, the running loader runs it (with its own
// profiles) and syncs.
func policy(ctx context.Context, g *Globals, a loader.PolicyArgs) error {
	s, err := g.openOrControl(ctx, loader.ControlRequest{Command: "policy", Policy: &a})
	if s == nil || err != nil {
		return err
	}
	defer s.Close()
	if a.Sub == "approve" || a.Sub == "change" {
		if err := needProfiles(g, a.Sub); err != nil {
			return err
		}
	}
	if err := s.PolicyCommand(ctx, g.stdout, a); err != nil {
		return err
	}
	if a.Sub == "approve" || a.Sub == "change" {
		return s.syncAfter(ctx)
	}
	return nil
}
