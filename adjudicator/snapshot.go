package adjudicator

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// snapshot is the compiled, read-only form of a Config. The engine swaps
// whole snapshots atomically; a claim sees one snapshot from start to end.
type snapshot struct {
	plans      map[string]*compiledPlan
	networks   map[string]*domain.Network
	pharmacies map[string]*domain.Pharmacy
	drugs      map[string]*compiledDrug
	clients    map[string]*config.Client
	groups     map[string]*config.Group
	settings   config.Settings
	edits      *edits.Index
	schedules  edits.Schedules
	paths      sync.Map // [2]string{plan, group} → *path
}

type compiledPlan struct {
	*config.Plan
	periodStart    time.Month
	networks       map[string]domain.NetworkClass
	formularyNDC   map[string]int
	formularyClass map[string]int
	excludedNDC    map[string]bool
	excludedClass  map[string]bool
}

type compiledDrug struct {
	*domain.Drug
	brandClass domain.BrandClass
}

// Validate checks a configuration bundle read by config.Parse as the engine
// compiles it, families included, and fills in the plan defaults.
func Validate(cfg *config.Config) error {
	if _, err := compile(cfg); err != nil {
		return fmt.Errorf("configuration bundle: %w", err)
	}
	if err := cfg.ValidateFamilies(); err != nil {
		return fmt.Errorf("configuration bundle: %w", err)
	}
	return nil
}

// compile validates cfg and builds its snapshot from a private deep copy,
// so nothing the caller does to cfg afterwards reaches claims. Families are
// not part of the snapshot.
func compile(in *config.Config) (*snapshot, error) {
	cfg, err := snapshotCopy(in)
	if err != nil {
		return nil, err
	}
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	clients, groups, err := config.ValidateHierarchy(cfg)
	if err != nil {
		return nil, err
	}
	s := &snapshot{
		clients:    clients,
		groups:     groups,
		settings:   cfg.Settings,
		plans:      make(map[string]*compiledPlan, len(cfg.Plans)),
		networks:   make(map[string]*domain.Network, len(cfg.Networks)),
		pharmacies: make(map[string]*domain.Pharmacy, len(cfg.Pharmacies)),
		drugs:      make(map[string]*compiledDrug, len(cfg.Drugs)),
	}
	for i := range cfg.Networks {
		n := &cfg.Networks[i]
		if err := n.Validate(); err != nil {
			return nil, err
		}
		if s.networks[n.ID] != nil {
			return nil, fmt.Errorf("network %s appears twice", n.ID)
		}
		s.networks[n.ID] = n
	}
	for i := range cfg.Plans {
		p := &cfg.Plans[i]
		if err := p.Validate(s.networks); err != nil {
			return nil, fmt.Errorf("plan %q: %w", p.ID, err)
		}
		if s.plans[p.ID] != nil {
			return nil, fmt.Errorf("plan %s appears twice", p.ID)
		}
		s.plans[p.ID] = compilePlan(p)
	}
	for i := range cfg.Pharmacies {
		p := &cfg.Pharmacies[i]
		if err := p.Validate(s.networks); err != nil {
			return nil, err
		}
		if s.pharmacies[p.NPI] != nil {
			return nil, fmt.Errorf("pharmacy %s appears twice", p.NPI)
		}
		s.pharmacies[p.NPI] = p
	}
	for i := range cfg.Drugs {
		d := &cfg.Drugs[i]
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if s.drugs[d.NDC] != nil {
			return nil, fmt.Errorf("drug %s appears twice", d.NDC)
		}
		bc, _ := domain.BrandClassOf(d.MultiSourceCode)
		s.drugs[d.NDC] = &compiledDrug{Drug: d, brandClass: bc}
	}
	if s.schedules, err = compileSchedules(cfg.Schedules); err != nil {
		return nil, err
	}
	book, err := edits.NewBook(cfg.Edits)
	if err != nil {
		return nil, err
	}
	all := book.All()
	if err := s.checkEditRefs(all); err != nil {
		return nil, err
	}
	s.edits = edits.Compile(all)
	return s, nil
}

func compilePlan(p *config.Plan) *compiledPlan {
	c := &compiledPlan{
		Plan:           p,
		periodStart:    time.January,
		networks:       map[string]domain.NetworkClass{},
		formularyNDC:   map[string]int{},
		formularyClass: map[string]int{},
		excludedNDC:    map[string]bool{},
		excludedClass:  map[string]bool{},
	}
	if p.PeriodStartMonth != 0 {
		c.periodStart = time.Month(p.PeriodStartMonth)
	}
	for _, n := range p.Networks {
		c.networks[n.Network] = n.Classification
	}
	for _, f := range p.Formulary {
		if f.NDC != "" {
			c.formularyNDC[f.NDC] = f.Tier
		} else {
			c.formularyClass[f.ClassPrefix] = f.Tier
		}
	}
	for _, x := range p.Exclusions {
		if x.NDC != "" {
			c.excludedNDC[x.NDC] = true
		} else {
			c.excludedClass[x.ClassPrefix] = true
		}
	}
	return c
}

// snapshotCopy deep-copies the parts of a Config that a snapshot keeps.
func snapshotCopy(in *config.Config) (*config.Config, error) {
	b, err := json.Marshal(&config.Config{Settings: in.Settings, Clients: in.Clients, Groups: in.Groups, Plans: in.Plans,
		Networks: in.Networks, Pharmacies: in.Pharmacies, Drugs: in.Drugs, Edits: in.Edits, Schedules: in.Schedules})
	if err != nil {
		return nil, err
	}
	out := new(config.Config)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}

// longestPrefix returns the value of the longest key of m that prefixes class.
func longestPrefix[V any](m map[string]V, class string) (V, bool) {
	for i := len(class); i > 0; i-- {
		if v, ok := m[class[:i]]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// tier returns the drug's formulary tier: by NDC first, then by the longest
// matching therapeutic-class prefix.
func (p *compiledPlan) tier(d *compiledDrug) (int, bool) {
	if t, ok := p.formularyNDC[d.NDC]; ok {
		return t, true
	}
	return longestPrefix(p.formularyClass, d.TherapeuticClass)
}

func (p *compiledPlan) excluded(d *compiledDrug) bool {
	if p.excludedNDC[d.NDC] {
		return true
	}
	_, ok := longestPrefix(p.excludedClass, d.TherapeuticClass)
	return ok
}

// priceOn returns the price version effective on day, or nil.
func (d *compiledDrug) priceOn(day domain.Date) *domain.DrugPrice {
	for i := len(d.Prices) - 1; i >= 0; i-- {
		if !d.Prices[i].Effective.After(day) {
			return &d.Prices[i]
		}
	}
	return nil
}
