package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestQuote: Quote repeats a short value whole and at most 40 bytes of a
// long one, never splitting a character.
func TestQuote(t *testing.T) {
	if got := Quote("2026-13-01"); got != `"2026-13-01"` {
		t.Errorf("Quote(short) = %s", got)
	}
	long := strings.Repeat("é", 1000)
	got := Quote(long)
	if len(got) > 80 || !utf8.ValidString(got) || !strings.Contains(got, "(2000 bytes)") {
		t.Errorf("Quote(2000 bytes) = %s", got)
	}
}
