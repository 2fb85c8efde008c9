package adjudicator

import (
	"testing"
	"time"
)

// TestIDTime: an ID's time is its first 12 hex digits in milliseconds; an
// ID of another length or with a character that is no hex digit (in either
// case) carries none.
func TestIDTime(t *testing.T) {
	for id, want := range map[string]int64{"000000000010ffffffff": 0x10, "0000000000A0FFFFFFFF": 0xa0, "019ad3c4e5f60000beef": 0x19ad3c4e5f6} {
		if got, err := idTime(id); err != nil || got.UnixMilli() != want || got.Location() != time.UTC {
			t.Errorf("idTime(%s) = %v, %v; want %d ms UTC", id, got, err, want)
		}
	}
	for _, id := range []string{"", "000000000010ffffffg0", "000000000010fffffff", "000000000010ffffffff0", "00000000001zffffffff", "000000000010fffffff\u00e9"} {
		if _, err := idTime(id); err == nil {
			t.Errorf("idTime(%q): no error", id)
		}
	}
}
