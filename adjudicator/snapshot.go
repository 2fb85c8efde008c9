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
	plans       map[string][]*compiledPlan                  // by plan ID, the versions in force by date; empty for a plan with none
	networks    map[string][]config.InForce[config.Network] // by network ID, the versions in force by date
	pharmacies  map[string]*domain.Pharmacy
	drugs       map[string]*compiledDrug
	prescribers map[string]*domain.Prescriber
	clients     map[string]*config.Client // by ID, the client's identity (its first version)
	groups      map[string]*config.Group  // by ID, the group's identity (its first version; client_id is the same in all)
	// The versions of each level's settings in force by date
	// (config.VersionsInForce), which pathFor picks by date of service.
	pbm            []config.InForce[config.Settings]
	clientVersions map[string][]config.InForce[config.Client]
	groupVersions  map[string][]config.InForce[config.Group]
	routes         map[config.Route]*route // nil: no routes configured, every BIN/PCN accepted
	edits          *edits.Index
	schedules      edits.Schedules
	paths          sync.Map // pathKey → *path
	version        uint64   // the configuration version (ConfigVersion.Number)
}

type compiledPlan struct {
	*config.Plan
	window         domain.Range // the dates the version is in force (edits.HandOver)
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
// compiles it, families included, and fills in the plan defaults. It
// reports every problem it finds in the bundle's records (as
// domain.Problems, one a line), not only the first.
func Validate(cfg *config.Config) error {
	var ps domain.Problems
	if _, err := compile(cfg); err != nil {
		ps.Add("", err)
	}
	ps.Add("", checkGenericEquivalents(cfg.Drugs, cfg.Drugs))
	ps.Add("", cfg.ValidateFamilies())
	if err := ps.Err(); err != nil {
		return fmt.Errorf("configuration bundle: %w", err)
	}
	return nil
}

// compile validates cfg and builds its snapshot from a private deep copy,
// so nothing the caller does to cfg afterwards reaches claims. Families are
// not part of the snapshot. The error lists every problem in the records;
// edit references are checked only once the records have none.
func compile(in *config.Config) (*snapshot, error) {
	cfg, err := snapshotCopy(in)
	if err != nil {
		return nil, err
	}
	var ps domain.Problems
	ps.Add("", cfg.Normalize())
	clients, groups, err := config.ValidateHierarchy(cfg)
	ps.Add("", err)
	s := &snapshot{
		clients:        clients,
		groups:         groups,
		pbm:            config.VersionsInForce([]config.Settings(cfg.Settings))[config.PBMID],
		clientVersions: config.VersionsInForce(cfg.Clients),
		groupVersions:  config.VersionsInForce(cfg.Groups),
		plans:          make(map[string][]*compiledPlan, len(cfg.Plans)),
		pharmacies:     make(map[string]*domain.Pharmacy, len(cfg.Pharmacies)),
		drugs:          make(map[string]*compiledDrug, len(cfg.Drugs)),
		prescribers:    make(map[string]*domain.Prescriber, len(cfg.Prescribers)),
		routes:         compileRoutes(cfg),
	}
	s.addRecords(cfg, &ps)
	s.schedules, err = compileSchedules(cfg)
	ps.Add("", err)
	book, err := edits.NewBook(cfg.Edits)
	ps.Add("", err)
	if len(ps) > 0 {
		return nil, ps
	}
	all := book.All()
	if err := s.checkEditRefs(all); err != nil {
		return nil, err
	}
	s.edits = edits.Compile(all)
	return s, nil
}

// addRecords validates and adds the networks, plans, pharmacies, drugs and
// prescribers
// of cfg, adding each problem to ps. A record with problems is added all
// the same (unless its key is taken), so that records referring to it are
// not reported too.
func (s *snapshot) addRecords(cfg *config.Config, ps *domain.Problems) {
	known := make(map[string]bool, len(cfg.Networks))
	for i := range cfg.Networks {
		n, path := &cfg.Networks[i], domain.Index("networks", i)
		ps.Add(path, n.Validate())
		known[n.ID] = true
	}
	ps.Add("", cfg.CheckNetworkVersions())
	s.networks = config.VersionsInForce(cfg.Networks)
	for i := range cfg.Plans {
		p, path := &cfg.Plans[i], domain.Index("plans", i)
		ps.Wrap(path, fmt.Sprintf("plan %q", p.ID), p.Validate(known))
	}
	ps.Add("", cfg.CheckPlanVersions())
	s.addPlans(cfg.Plans)
	for i := range cfg.Pharmacies {
		p, path := &cfg.Pharmacies[i], domain.Index("pharmacies", i)
		ps.Add(path, p.Validate(known))
		if s.pharmacies[p.NPI] != nil {
			ps.Addf(path, "pharmacy %s appears twice", p.NPI)
			continue
		}
		s.pharmacies[p.NPI] = p
	}
	for i := range cfg.Drugs {
		d, path := &cfg.Drugs[i], domain.Index("drugs", i)
		ps.Add(path, d.Validate())
		if s.drugs[d.NDC] != nil {
			ps.Addf(path, "drug %s appears twice", d.NDC)
			continue
		}
		bc, _ := d.BrandClass()
		s.drugs[d.NDC] = &compiledDrug{Drug: d, brandClass: bc}
	}
	for i := range cfg.Prescribers {
		p, path := &cfg.Prescribers[i], domain.Index("prescribers", i)
		ps.Add(path, p.Validate())
		if s.prescribers[p.NPI] != nil {
			ps.Addf(path, "prescriber %s appears twice", p.NPI)
			continue
		}
		s.prescribers[p.NPI] = p
	}
}

// checkGenericEquivalents reports each drug of check whose generic_ndc does
// not name a drug of a generic brand class in catalog. A bundle (Validate,
// Import) must pass it. The catalog the loader syncs need not: the brand
// and its generic may arrive in either order, so the brand penalty checks
// the equivalent when it reads it and the trace says when it is no generic.
func checkGenericEquivalents(catalog, check []domain.Drug) error {
	classes := make(map[string]domain.BrandClass, len(catalog))
	for i := range catalog {
		bc, _ := catalog[i].BrandClass()
		classes[catalog[i].NDC] = bc
	}
	var ps domain.Problems
	for i := range check {
		d := &check[i]
		if d.GenericNDC == "" || d.GenericNDC == d.NDC {
			continue
		}
		path := domain.Index("drugs", i)
		switch bc, ok := classes[d.GenericNDC]; {
		case !ok:
			ps.Addf(path, "drug %s: generic_ndc %s is not in the drug catalog", d.NDC, d.GenericNDC)
		case bc.IsBrand() || bc == domain.BrandClassDefault:
			ps.Addf(path, "drug %s: generic_ndc %s is not a generic (its brand class is %s)", d.NDC, d.GenericNDC, bc)
		}
	}
	return ps.Err()
}

// addPlans compiles the Active versions of each plan with the windows in
// which they are in force (config.VersionsInForce): inactivating a later
// version never re-extends an earlier one. Every plan ID is known,
// whatever its versions' statuses.
func (s *snapshot) addPlans(plans []config.Plan) {
	for id, vs := range config.VersionsInForce(plans) {
		s.plans[id] = nil
		for _, v := range vs {
			c := compilePlan(v.Version)
			c.window = v.Window
			s.plans[id] = append(s.plans[id], c)
		}
	}
}

// networkOn returns the version of network id in force on day, or nil.
func (s *snapshot) networkOn(id string, day domain.Date) *config.Network {
	return versionOn(s.networks[id], day)
}

// versionOn returns the version of vs in force on day, or nil. A record
// has few versions, so a scan of them is the index.
func versionOn[T any](vs []config.InForce[T], day domain.Date) *T {
	for _, v := range vs {
		if v.Window.Contains(day) {
			return v.Version
		}
	}
	return nil
}

// planOn returns the version of plan id in force on day: nil when none is
// (known says whether the plan is configured at all).
func (s *snapshot) planOn(id string, day domain.Date) (p *compiledPlan, known bool) {
	vs, known := s.plans[id]
	for _, v := range vs {
		if v.window.Contains(day) {
			return v, true
		}
	}
	return nil, known
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
		Networks: in.Networks, Pharmacies: in.Pharmacies, Drugs: in.Drugs, Prescribers: in.Prescribers, Edits: in.Edits, Schedules: in.Schedules})
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
