package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/rxclaims/rxclaims/loader"
)

// openOrControl opens the loader's state, or, when `loader run` holds it,
// sends req to the running loader over its control socket and returns a
// nil session: the command's output and error are then the running
// loader's.
func (g *Globals) openOrControl(ctx context.Context, req loader.ControlRequest) (*session, error) {
	s, err := g.open(nil, 0)
	if !errors.Is(err, loader.ErrLocked) {
		return s, err
	}
	cerr := loader.Control(ctx, g.Dir, req, g.stdout)
	if errors.Is(cerr, loader.ErrNoControl) {
		return nil, fmt.Errorf("%w; %w", err, cerr)
	}
	return nil, cerr
}
