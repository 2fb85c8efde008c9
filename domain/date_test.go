package domain

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestParseDateAgreesWithTime checks ParseDate against time.Parse: every
// day of years 0 to 9999 at the edges of the calendar (leap years, the
// days after each month's last), and damaged forms of valid dates.
func TestParseDateAgreesWithTime(t *testing.T) {
	var inputs []string
	for _, y := range []int{0, 1, 4, 100, 399, 400, 1582, 1899, 1900, 1969, 1970, 1999, 2000, 2024, 2026, 2100, 2400, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				inputs = append(inputs, pad(y, 4)+"-"+pad(m, 2)+"-"+pad(d, 2))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte(pad(r.IntN(10000), 4) + "-" + pad(1+r.IntN(12), 2) + "-" + pad(1+r.IntN(31), 2))
		switch r.IntN(4) {
		case 0:
			b[r.IntN(len(b))] = byte(r.IntN(256))
		case 1:
			b = b[:r.IntN(len(b))]
		case 2:
			b = append(b, byte(r.IntN(256)))
		}
		inputs = append(inputs, string(b))
	}
	inputs = append(inputs, "", "2026-1-05", "+026-01-05", "2026-01-5 ", "２０２６-01-05", "2026/01/05")
	for _, s := range inputs {
		got, gotErr := ParseDate(s)
		want, wantErr := time.Parse(dateLayout, s)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("ParseDate(%q): error %v, time.Parse: %v", s, gotErr, wantErr)
		}
		if gotErr == nil && got != DateOf(want) {
			t.Fatalf("ParseDate(%q) = %s, time.Parse gives %s", s, got, DateOf(want))
		}
	}
}

func pad(n, width int) string {
	s := ""
	for range width {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

// TestParseDateSaysWhy: a date of the right shape that the calendar lacks
// is told apart from one of the wrong shape.
func TestParseDateSaysWhy(t *testing.T) {
	for s, want := range map[string]string{
		"2026-02-30": "no such day",
		"2026-13-01": "no such day",
		"2026-2-3":   "want YYYY-MM-DD",
		"2026/02/03": "want YYYY-MM-DD",
		"":           "want YYYY-MM-DD",
	} {
		if _, err := ParseDate(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDate(%q) = %v, want an error saying %q", s, err, want)
		}
	}
}
