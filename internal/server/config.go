package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
)

// ConfigSource is the configuration the server starts on, as chosen by its
// caller (cmd/adjudicator: a bundle file or the built-in demo data).
type ConfigSource struct {
	// Name names the source in the log and in errors: a path, or e.g.
	// "built-in demo data".
	Name string
	// Load returns the configuration; the server validates it.
	Load func() (*config.Config, error)
	// SeedOnly marks a default (the demo data): it seeds an empty store
	// but is not imported on top of a configuration the store already
	// holds. A bundle the operator gave is imported on every start.
	SeedOnly bool
}

// File is the ConfigSource of a YAML or JSON bundle file.
func File(path string) ConfigSource {
	return ConfigSource{Name: path, Load: func() (*config.Config, error) { return config.Load(path) }}
}

// load returns the source's configuration, validated.
func (c ConfigSource) load() (*config.Config, error) {
	cfg, err := c.Load()
	if err == nil {
		err = adjudicator.Validate(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", c.Name, err)
	}
	return cfg, nil
}

// openEngine starts the engine on the configuration kept in the store. A
// store without one is seeded from opts.Config; a store with one imports
// opts.Config on top, unless it is SeedOnly (importing the same bundle
// again changes nothing). Of servers starting together on an empty shared
// store, one seeds it and the others start on what it wrote.
func openEngine(ctx context.Context, st engineStore, opts Options, log *slog.Logger) (*adjudicator.Engine, error) {
	stored, found, err := st.LoadConfig()
	if err != nil {
		return nil, err
	}
	engOpts := adjudicator.Options{Store: st, Configs: st, Now: opts.Now, AfterRetroStep: opts.AfterRetroStep}
	if !found {
		engine, err := seedEngine(ctx, st, opts.Config, engOpts, log)
		if !errors.Is(err, adjudicator.ErrStaleConfig) {
			return engine, err
		}
		log.Info("configuration: another server seeded the store first; starting on its configuration")
		if stored, found, err = st.LoadConfig(); err != nil {
			return nil, err
		}
		if !found {
			return nil, errors.New("the store holds configuration versions but no configuration")
		}
	}
	engine, err := adjudicator.New(stored, engOpts)
	if err != nil {
		return nil, fmt.Errorf("stored configuration: %w", err)
	}
	if !opts.Config.SeedOnly {
		if err := importBundle(ctx, engine, opts.Config, log); err != nil {
			return nil, err
		}
	}
	log.Info("configuration loaded", "source", "store", "plans", len(stored.Plans), "edits", len(stored.Edits))
	return engine, nil
}

// releaseStartupGarbage collects the garbage of loading and importing the
// bundle and gives its memory back to the operating system. A bundle of
// a million families is a file of 160 MB and twice that decoded, all of it
// garbage once imported. Left to the collector's pacing (GOGC 400,
// cmd/adjudicator/gc.go) the next collection would wait for five times
// that peak, and the process would hold gigabytes it never uses again
// (README.md, "Memory").
func releaseStartupGarbage() {
	// Twice: the first collection only moves what sync.Pools hold to
	// their victim caches.
	runtime.GC()
	debug.FreeOSMemory()
}

// importBundle imports src on top of the engine's configuration.
func importBundle(ctx context.Context, engine *adjudicator.Engine, src ConfigSource, log *slog.Logger) error {
	cfg, err := src.load()
	if err != nil {
		return err
	}
	sum, err := engine.Import(ctx, cfg, startupAudit("import", src))
	if err != nil {
		return fmt.Errorf("importing %s: %w", src.Name, err)
	}
	log.Info("configuration bundle imported", "source", src.Name, "plans", sum.Plans, "drugs", sum.Drugs,
		"edits_added", sum.EditsAdded, "edits_unchanged", sum.EditsUnchanged, "families", sum.Families)
	return nil
}

// seedEngine loads src into an empty store, in one write that makes
// configuration version 1 (so, on a shared store, fails with
// adjudicator.ErrStaleConfig and writes nothing when another server
// seeded it first), and starts the engine on it.
func seedEngine(ctx context.Context, st engineStore, src ConfigSource, engOpts adjudicator.Options, log *slog.Logger) (*adjudicator.Engine, error) {
	cfg, err := src.load()
	if err != nil {
		return nil, err
	}
	// An engine that writes nothing normalizes the configuration.
	norm, err := adjudicator.New(cfg, adjudicator.Options{Store: st, Now: engOpts.Now})
	if err != nil {
		return nil, err
	}
	full := norm.Configuration()
	base := *full
	base.Edits = nil
	now := time.Now
	if engOpts.Now != nil {
		now = engOpts.Now
	}
	// The families' own prior authorizations become records, which
	// enrollment syncs leave alone.
	fams, pas := adjudicator.SplitPriorAuths(cfg.Families)
	audit := startupAudit("seed", src)
	audit.Detail = fmt.Sprintf("plans %d, drugs %d, pharmacies %d, families %d, prior authorizations %d, edits %d",
		len(cfg.Plans), len(cfg.Drugs), len(cfg.Pharmacies), len(cfg.Families), len(pas), len(full.Edits))
	if err := st.SaveConfig(ctx, adjudicator.ConfigWrite{Base: &base, Versions: full.Edits, Families: fams, PriorAuths: pas, Audit: audit,
		Version: &adjudicator.ConfigVersion{Number: 1, At: now().UTC(), Config: full}}); err != nil {
		return nil, fmt.Errorf("seeding the store: %w", err)
	}
	engine, err := adjudicator.New(cfg, engOpts)
	if err != nil {
		return nil, err
	}
	log.Info("configuration loaded", "source", src.Name, "plans", len(cfg.Plans), "drugs", len(cfg.Drugs),
		"pharmacies", len(cfg.Pharmacies), "families", len(cfg.Families), "edits", len(full.Edits))
	return engine, nil
}

// StartupSubject is the audit trail's name for the deployment: the
// operator who names the configuration a server starts on.
const StartupSubject = "startup"

// startupAudit is the entry of a configuration the server loads at start
// (action "seed" or "import"): the deployment acts, as maker and checker
// of what the bundle activates.
func startupAudit(action string, src ConfigSource) *adjudicator.AuditEntry {
	return &adjudicator.AuditEntry{Time: time.Now(), Subject: StartupSubject, Source: "configuration",
		Method: "startup " + action, Objects: []string{"configuration " + src.Name}, Outcome: adjudicator.AuditOK}
}
