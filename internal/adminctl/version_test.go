package adminctl

import "testing"

// TestVersionNumbers: a version number the API cannot carry is refused,
// never wrapped into another version's number.
func TestVersionNumbers(t *testing.T) {
	for _, s := range []string{"0", "-1", "4294967297", "2147483648", "99999999999", "x", ""} {
		if v, err := parseVersion("activate", s); err == nil {
			t.Errorf("version %q: %d, want an error", s, v)
		}
		if r, err := parseRef("QTY:" + s); err == nil {
			t.Errorf("draft QTY:%s: %+v, want an error", s, r)
		}
	}
	if v, err := parseVersion("activate", "2147483647"); err != nil || v != 2147483647 {
		t.Errorf("the largest version: %d %v", v, err)
	}
}
