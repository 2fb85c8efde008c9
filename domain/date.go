package domain

import (
	"fmt"
	"time"
)

// Date is a calendar date without time zone. The zero Date is "unset".
type Date struct {
	d int32 // days since 1970-01-01 plus dateOffset; 0 means unset
}

// dateOffset keeps every representable day, before 1970 too, away from the
// zero value.
const dateOffset = 1 << 30

const dateLayout = "2006-01-02"

// NewDate returns the date y-m-d. Out-of-range values normalise as time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date{d: int32(floorDiv(t.Unix(), 86400)) + dateOffset}
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	if d, ok := parseDigits(s); ok {
		return d, nil
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil && dateShaped(s) {
		return Date{}, fmt.Errorf("date %s: no such day (YYYY-MM-DD, a month of 01-12 and a day the month has)", Quote(s))
	}
	if err != nil {
		return Date{}, fmt.Errorf("date %s: want YYYY-MM-DD", Quote(s))
	}
	return DateOf(t), nil
}

// dateShaped reports whether s has YYYY-MM-DD's shape: digits, and dashes
// where the layout has them.
func dateShaped(s string) bool {
	if len(s) != len(dateLayout) {
		return false
	}
	for i := range len(s) {
		if dateLayout[i] == '-' && s[i] != '-' || dateLayout[i] != '-' && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// MustDate parses s and panics on error; for tests and built-in data.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.d == 0 }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Unix(int64(d.d-dateOffset)*86400, 0).UTC() }

// Days returns the number of days since 1970-01-01.
func (d Date) Days() int { return int(d.d - dateOffset) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return Date{d: d.d + int32(n)} }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.d < e.d }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.d > e.d }

// Append appends d as String writes it to b.
func (d Date) Append(b []byte) []byte {
	if d.IsZero() {
		return b
	}
	y, m, day := d.Time().Date()
	if y < 0 || y > 9999 {
		return d.Time().AppendFormat(b, dateLayout)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// String formats d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var buf [10]byte
	return string(d.Append(buf[:0]))
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Range is an effective-date range; an unset To means open-ended.
type Range struct {
	From Date `json:"effective"`
	To   Date `json:"termination,omitempty"`
}

// Contains reports whether day falls within the range, both ends inclusive.
func (r Range) Contains(day Date) bool {
	return !day.Before(r.From) && (r.To.IsZero() || !day.After(r.To))
}

// Validate checks that the range has a start and does not end before it.
func (r Range) Validate() error {
	if r.From.IsZero() {
		return fmt.Errorf("effective date is required")
	}
	if !r.To.IsZero() && r.To.Before(r.From) {
		return fmt.Errorf("termination %s is before effective %s", r.To, r.From)
	}
	return nil
}

// PeriodStart returns the first day of the benefit period that contains day,
// for periods that start on the first of startMonth each year.
func PeriodStart(day Date, startMonth time.Month) Date {
	t := day.Time()
	y := t.Year()
	if t.Month() < startMonth {
		y--
	}
	return NewDate(y, startMonth, 1)
}

// PeriodEnd returns the last day of the one-year period starting at start.
func PeriodEnd(start Date) Date {
	t := start.Time()
	return NewDate(t.Year()+1, t.Month(), 1).AddDays(-1)
}

// parseDigits parses a valid "YYYY-MM-DD" without time.Parse, which a
// claim calls for several dates (time.Parse and time.Date were a tenth of
// the claim's syntax step); ok is false for anything else, which
// time.Parse then reads or refuses, so both give the same answers
// (TestParseDateAgreesWithTime).
func parseDigits(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, false
	}
	n := 0
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return Date{}, false
		}
		n = n*10 + int(c-'0')
	}
	y, m, d := n/10000, n/100%100, n%100
	if m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return Date{}, false
	}
	return Date{d: int32(daysFromCivil(y, m, d)) + dateOffset}, true
}

// daysIn is the number of days in month m of year y (proleptic Gregorian).
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d, for years
// 0 to 9999 (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
