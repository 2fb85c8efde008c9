package domain

import "fmt"

// NetworkType is the kind of pharmacy network a claim was adjudicated in.
type NetworkType uint8

// The network types. The zero value is not a valid type.
const (
	Retail NetworkType = iota + 1
	Retail90
	Mail
	Specialty
)

// NetworkTypes lists every network type in order.
var NetworkTypes = []NetworkType{Retail, Retail90, Mail, Specialty}

var networkTypeNames = [...]string{"", "RETAIL", "RETAIL90", "MAIL", "SPECIALTY"}

func (t NetworkType) String() string {
	if int(t) < len(networkTypeNames) {
		return networkTypeNames[t]
	}
	return fmt.Sprintf("NetworkType(%d)", t)
}

// MarshalText implements encoding.TextMarshaler.
func (t NetworkType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is unset.
func (t *NetworkType) UnmarshalText(b []byte) error {
	for i, n := range networkTypeNames {
		if n == string(b) {
			*t = NetworkType(i)
			return nil
		}
	}
	return fmt.Errorf("network type %q: want RETAIL, RETAIL90, MAIL or SPECIALTY", b)
}

// NetworkClass is a claim's network classification.
type NetworkClass uint8

// The network classifications. The zero value is not valid.
const (
	InNetwork NetworkClass = iota + 1
	OutOfNetwork
)

// NetworkClasses lists both classifications.
var NetworkClasses = []NetworkClass{InNetwork, OutOfNetwork}

func (c NetworkClass) String() string {
	switch c {
	case InNetwork:
		return "IN"
	case OutOfNetwork:
		return "OUT"
	case 0:
		return ""
	}
	return fmt.Sprintf("NetworkClass(%d)", c)
}

// MarshalText implements encoding.TextMarshaler.
func (c NetworkClass) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is unset.
func (c *NetworkClass) UnmarshalText(b []byte) error {
	switch string(b) {
	case "":
		*c = 0
	case "IN":
		*c = InNetwork
	case "OUT":
		*c = OutOfNetwork
	default:
		return fmt.Errorf("network classification %q: want IN or OUT", b)
	}
	return nil
}

// Segment is the network type and classification a claim's accumulator
// contributions are stored under.
type Segment struct {
	Type  NetworkType
	Class NetworkClass
}

func (s Segment) String() string { return s.Type.String() + "/" + s.Class.String() }

// Valid reports whether both parts are set.
func (s Segment) Valid() bool {
	return s.Type >= Retail && s.Type <= Specialty && (s.Class == InNetwork || s.Class == OutOfNetwork)
}
