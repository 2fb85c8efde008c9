package parse

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Field is a column of a family record. A record is one member of a family
// (the subscriber or a dependent), keyed by cardholder ID and person code;
// the records sharing a cardholder ID make up the family record.
type Field int

// The family record fields, in their stored order.
const (
	FCardholderID Field = iota
	FPersonCode
	FRelationship // NCPDP 306-C6: 1 cardholder, 2 spouse, 3 child, 4 other
	FDateOfBirth
	FGender // M, F or U
	FHoursWorked
	FUnion      // Y or N
	FManagement // Y or N
	FSalary
	FClass
	FPlanID
	FCoverageEffective
	FCoverageEnd
	// FHistory is not a file column: earlier coverages, kept so that a plan
	// change does not erase the coverage claims were paid under.
	FHistory
	// NumFields is the number of fields, not a field.
	NumFields
)

// NumFileFields is the number of fields a family file may carry: the
// fields before FHistory.
const NumFileFields = FHistory

var fieldNames = [NumFields]string{
	"cardholder_id", "person_code", "relationship", "date_of_birth", "gender",
	"hours_worked", "union", "management", "salary", "class", "plan_id",
	"coverage_effective", "coverage_end", "history",
}

func (f Field) String() string {
	if f < 0 || f >= NumFields {
		return "field(" + strconv.Itoa(int(f)) + ")"
	}
	return fieldNames[f]
}

// FieldByName returns the field with the given column name.
func FieldByName(name string) (Field, bool) {
	for i, n := range fieldNames[:NumFileFields] {
		if n == name {
			return Field(i), true
		}
	}
	return 0, false
}

// Record is one member row: each field's value, "" when the file did not
// give it (a changes-only record may be partial).
type Record [NumFields]string

// sep separates the fields of an encoded record; input holding control
// characters is rejected by the schema check, so it never appears in a value.
const sep = '\x1f'

// Encode returns the record's stored form.
func (r *Record) Encode() []byte {
	n := 0
	for _, v := range r {
		n += len(v) + 1
	}
	b := make([]byte, 0, n)
	for i, v := range r {
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, v...)
	}
	return b
}

// DecodeRecord parses a stored record.
func DecodeRecord(b []byte) (Record, error) {
	var r Record
	s := string(b)
	for i := range r {
		j := strings.IndexByte(s, sep)
		if i == len(r)-1 {
			if j >= 0 {
				return r, errors.New("stored record has too many fields")
			}
			r[i] = s
			break
		}
		if j < 0 {
			return r, errors.New("stored record has too few fields")
		}
		r[i], s = s[:j], s[j+1:]
	}
	return r, nil
}

// FieldError names a record's bad field.
type FieldError struct {
	Field   Field
	Problem string
}

func (e *FieldError) Error() string { return e.Field.String() + ": " + e.Problem }

// FieldErrorf returns a FieldError for f, its problem formatted.
func FieldErrorf(f Field, format string, args ...any) error {
	return &FieldError{Field: f, Problem: fmt.Sprintf(format, args...)}
}

// CheckSchema checks the form of each given field and normalizes it
// (upper-case codes, canonical dates and numbers). It does not check
// presence: that depends on the record type and the group's profile.
func (r *Record) CheckSchema() error {
	for f := Field(0); f < NumFileFields; f++ {
		v := r[f]
		if v == "" {
			continue
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] == 0x7f {
				return FieldErrorf(f, "holds a control character")
			}
		}
		if len(v) > 64 {
			return FieldErrorf(f, "is longer than 64 characters")
		}
		norm, err := normalize(f, v)
		if err != nil {
			return err
		}
		r[f] = norm
	}
	return nil
}

func normalize(f Field, v string) (string, error) {
	switch f {
	case FCardholderID:
		if !alnum(v, 1, 20) {
			return "", FieldErrorf(f, "must be 1 to 20 letters or digits")
		}
		return strings.ToUpper(v), nil
	case FPersonCode:
		if !digits(v, 3, 3) {
			return "", FieldErrorf(f, "must be 3 digits")
		}
	case FRelationship:
		if len(v) != 1 || v[0] < '0' || v[0] > '4' {
			return "", FieldErrorf(f, "must be 0 to 4 (NCPDP 306-C6)")
		}
	case FDateOfBirth, FCoverageEffective, FCoverageEnd:
		d, err := domain.ParseDate(v)
		if err != nil {
			return "", FieldErrorf(f, "must be a date YYYY-MM-DD")
		}
		return d.String(), nil
	case FGender:
		v = strings.ToUpper(v)
		if v != "M" && v != "F" && v != "U" {
			return "", FieldErrorf(f, "must be M, F or U")
		}
	case FUnion, FManagement:
		v = strings.ToUpper(v)
		if v != "Y" && v != "N" {
			return "", FieldErrorf(f, "must be Y or N")
		}
	case FHoursWorked, FSalary:
		d, err := decimal.NewFromString(v)
		if err != nil {
			return "", FieldErrorf(f, "must be a number")
		}
		if d.IsNegative() {
			return "", FieldErrorf(f, "must not be negative")
		}
		if d.Exponent() < -2 {
			return "", FieldErrorf(f, "has more than 2 decimal places")
		}
		return d.String(), nil
	case FClass, FPlanID:
		if !IsCode(v, 1, 20) {
			return "", FieldErrorf(f, "must be 1 to 20 letters, digits, '-' or '_'")
		}
		return strings.ToUpper(v), nil
	}
	return v, nil
}

var (
	alnum  = domain.IsAlnum
	digits = domain.IsDigits
)

// IsCode reports whether s is minLen to maxLen letters, digits, '-' or '_'.
func IsCode(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// FamilyColumns are the columns a family file may carry.
var FamilyColumns = fieldNames[:NumFileFields]

// ToRecord builds a record from a row and checks its schema.
func ToRecord(vals []string) (Record, error) {
	var rec Record
	copy(rec[:NumFileFields], vals)
	if err := rec.CheckSchema(); err != nil {
		return rec, err
	}
	if rec[FCardholderID] == "" {
		return rec, FieldErrorf(FCardholderID, "is required")
	}
	if rec[FPersonCode] == "" {
		return rec, FieldErrorf(FPersonCode, "is required")
	}
	return rec, nil
}
