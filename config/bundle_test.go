package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
)

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		line, column   int
	}{
		{"unknown field", "plans:\n- id: P\n  bogus: 1\n", `line 3, column 3: unknown field "bogus"`, 3, 3},
		{"unknown field in JSON", `{"plans": [{"id": "P", "bogus": 1}]}`, `line 1, column 24: unknown field "bogus"`, 1, 24},
		{"unknown embedded field", "families:\n- cardholder_id: A\n  members:\n  - coverages:\n    - {plan_id: P, form: 2026-01-01}\n",
			`line 5, column 20: unknown field "form"`, 5, 20},
		{"type error", "plans:\n- id: P\n  period_start_month: may\n", "line 3, column 23: cannot unmarshal string", 3, 23},
		{"bad enumeration", "networks:\n- id: N\n  type: RETAL\n", `line 3, column 9: network type "RETAL"`, 3, 9},
		{"bad date", "drugs:\n- ndc: \"00000000001\"\n  prices:\n  - {effective: 2026-13-01, awp: 1}\n", `line 4, column 17: date "2026-13-01"`, 4, 17},
		{"bad amount", "drugs:\n- prices:\n  - {effective: 2026-01-01, awp: x1}\n", "line 3, column 34: ", 3, 34},
		{"syntax", "plans: [\n", "line 1, column 8: ", 1, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.in))
			if err == nil || !strings.HasPrefix(err.Error(), "configuration bundle: "+c.want) {
				t.Fatalf("Parse: %v, want configuration bundle: %s…", err, c.want)
			}
			var se *config.SyntaxError
			if !errors.As(err, &se) || se.Line != c.line || se.Column != c.column {
				t.Errorf("position %+v, want %d:%d", se, c.line, c.column)
			}
		})
	}
}

func TestParseDecodes(t *testing.T) {
	in := `
settings: {penalty_daw: ["2"], retail90_min_days: 84}
plans:
- {id: P, networks: [{network: N, classification: OUT}], formulary: [{class_prefix: "39", tier: 1}]}
networks:
- id: N
  type: MAIL
  pricing: [{awp_discount: 0.15, dispensing_fee: "1.10"}]
families:
- cardholder_id: A1
  members:
  - person_code: "001"
    date_of_birth: 1980-04-12
    coverages: [{plan_id: P, effective: 2026-01-01}]
`
	cfg, err := config.Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	n, p, m := cfg.Networks[0], cfg.Plans[0], cfg.Families[0].Members[0]
	if n.Type != domain.Mail || n.Pricing[0].AWPDiscount.String() != "0.15" || n.Pricing[0].DispensingFee.StringFixed(2) != "1.10" ||
		p.Networks[0].Classification != domain.OutOfNetwork || p.Formulary[0].ClassPrefix != "39" ||
		len(cfg.Settings) != 1 || cfg.Settings[0].Retail90MinDays != 84 || cfg.Settings[0].PenaltyDAW[0] != "2" ||
		m.DateOfBirth.String() != "1980-04-12" || m.Coverages[0].From.String() != "2026-01-01" {
		t.Errorf("decoded %+v", cfg)
	}
	out, err := config.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.Parse(out)
	if err != nil {
		t.Fatalf("Parse of Marshal: %v\n%s", err, out)
	}
	if again, _ := config.Marshal(back); string(again) != string(out) {
		t.Errorf("round trip changed the bundle:\n%s\nvs\n%s", out, again)
	}
}

// TestValidateReportsEveryProblem gives records with several problems and
// wants each reported, at its path, with its message.
func TestValidateReportsEveryProblem(t *testing.T) {
	in := `
clients: [{id: C}]
groups:
- {id: G1, client_id: NOPE}
- {id: G2, client_id: C, retail90_min_days: 400}
- {id: G3, client_id: C, filing_limit_days: -1, zero_usual_and_customary: SKIP}
- {id: G4, client_id: C, rx_expiry_days_controlled: 731, cob: TERTIARY, prescriber_validation: "YES"}
plans:
- {id: P, networks: [{network: N, classification: IN}], formulary: [{tier: 1}]}
families:
- cardholder_id: A1
  members:
  - {person_code: "1", date_of_birth: 1980-04-12, coverages: [{plan_id: P, effective: 2026-01-01}]}
- cardholder_id: A2
  members:
  - {person_code: "001", coverages: [{plan_id: P, effective: 2026-01-01}]}
- cardholder_id: A3
  members:
  - {person_code: "001", date_of_birth: 1980-04-12, coverages: [{plan_id: X, effective: 2026-01-01}]}
`
	cfg, err := config.Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want []string
	}{
		{"families", cfg.ValidateFamilies(), []string{
			`families[0].members[0]: person_code "1" must be 3 digits`,
			`families[1].members[0]: member 001: date_of_birth is required`,
			`families[2].members[0].coverages[0]: member 001: unknown plan "X"`,
		}},
		{"hierarchy", hierarchyErr(cfg), []string{
			`groups[0]: group G1: client "NOPE" is not configured`,
			`groups[1]: group G2: retail90_min_days 400 is outside 1 to 365`,
			`groups[2]: group G3: filing_limit_days -1 is outside 0 (no limit) to 3650`,
			`groups[2]: group G3: zero_usual_and_customary "SKIP" must be REJECT or IGNORE`,
			`groups[3]: group G4: rx_expiry_days_controlled 731 is outside 0 (no expiry) to 730`,
			`groups[3]: group G4: cob "TERTIARY" must be PRIMARY or SECONDARY`,
			`groups[3]: group G4: prescriber_validation "YES" must be ON or OFF`,
		}},
		{"plan", cfg.Plans[0].Validate(nil), []string{
			`networks[0]: unknown network "N"`,
			`formulary[0]: formulary entry 1: ndc or class_prefix is required`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ps domain.Problems
			if !errors.As(c.err, &ps) || len(ps) != len(c.want) {
				t.Fatalf("got %v, want %d problems", c.err, len(c.want))
			}
			if got := c.err.Error(); got != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(c.want, "\n"))
			}
		})
	}
}

func hierarchyErr(cfg *config.Config) error {
	_, _, err := config.ValidateHierarchy(cfg)
	return err
}

// TestParseJSONLikeYAML wants a JSON bundle to decode as its YAML twin does.
func TestParseJSONLikeYAML(t *testing.T) {
	y := "networks:\n- {id: N, type: MAIL, pricing: [{awp_discount: \"0.15\", dispensing_fee: \"1.10\"}]}\n" +
		"families:\n- {cardholder_id: A1, members: [{person_code: \"001\", date_of_birth: \"1980-04-12\", coverages: [{plan_id: P, effective: \"2026-01-01\"}]}]}\n"
	j := `{"networks": [{"id": "N", "type": "MAIL", "pricing": [{"awp_discount": "0.15", "dispensing_fee": "1.10"}]}],
"families": [{"cardholder_id": "A1", "members": [{"person_code": "001", "date_of_birth": "1980-04-12", "coverages": [{"plan_id": "P", "effective": "2026-01-01"}]}]}]}`
	fromYAML, err := config.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := config.Parse([]byte(j))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := config.Marshal(fromYAML)
	b, _ := config.Marshal(fromJSON)
	if string(a) != string(b) {
		t.Errorf("YAML gives\n%s\nJSON gives\n%s", a, b)
	}
	if _, err := config.Parse([]byte(`{"plans": []} {}`)); err == nil {
		t.Error("data after a JSON bundle is accepted")
	}
}

// TestParseBounds: what once took the YAML library minutes or more is
// refused or read the fast way, with the error's position.
func TestParseBounds(t *testing.T) {
	var families strings.Builder
	families.WriteString("families:\n")
	for i := range 2000 {
		fmt.Fprintf(&families, "- cardholder_id: C%d\n  members: [{person_code: \"001\", date_of_birth: 1980-01-01}]\n", i)
	}
	for _, c := range []struct{ name, in, want string }{
		// The decoder took time quadratic in a bundle's dates and amounts.
		{"an error after 2,000 families", families.String() + "- cardholder_id: X\n  group: G\n", `line 4003, column 3: unknown field "group"`},
		// The parser took time quadratic in the depth.
		{"deep flow", "plans: " + strings.Repeat("[", 20000), "line 1, column 71: nested more than 64 levels deep"},
		{"deep block", "plans:\n" + strings.Repeat("- ", 20000), "line 2, column 129: nested more than 64 levels deep"},
		{"aliases of aliases", billionLaughs, "its aliases expand it more than eightfold"},
		{"a large bundle with a tag", families.String() + "settings: {retail90_min_days: !!int 84}\n", "only bundles up to 16384 bytes may use"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := config.Parse([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	cfg, err := config.Parse([]byte("networks:\n- id: A\n  type: MAIL\n  pricing: &terms [{awp_discount: 0.15, dispensing_fee: \"1.10\"}]\n" +
		"- id: !!str B\n  type: RETAIL\n  pricing: *terms\nsettings: {retail90_min_days: 84}\n"))
	if err != nil || len(cfg.Networks) != 2 || cfg.Networks[1].Pricing[0].DispensingFee.StringFixed(2) != "1.10" || len(cfg.Settings) != 1 || cfg.Settings[0].Retail90MinDays != 84 {
		t.Fatalf("anchors, aliases and a tag in a small bundle: %+v %v", cfg, err)
	}
}

// billionLaughs is nine levels of aliases, each ten of the level below.
var billionLaughs = func() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	return b.String()
}()
