package config

import "testing"

func TestExp(t *testing.T) {
	for _, in := range []string{
		"plans:\n- id: P\n  bogus: 1\n",
		"plans:\n- id: P\n  period_start_month: abc\n",
		"networks:\n- id: N\n  type: RETAL\n",
		"drugs:\n- ndc: \"1\"\n  prices:\n  - {effective: 2026-13-01, awp: 1}\n",
		"drugs:\n- ndc: \"1\"\n  prices:\n  - {effective: 2026-01-01, awp: x1}\n",
		`{"plans": [{"id": "P", "bogus": 1}]}`,
		"plans: [\n",
		"plans:\n- id: P\n  penalty_daw: [1]\n  retail90_min_days: 3\n  formulary:\n  - {class_prefix: \"12\", tier: 1}\n",
	} {
		c, err := Parse([]byte(in))
		t.Logf("%q\n%v", in, err)
		if err == nil {
			t.Logf("%+v", c)
		}
	}
}
