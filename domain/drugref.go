package domain

import (
	"fmt"
	"strings"
)

// DrugRef selects drugs by NDC-11 or by therapeutic-class prefix.
type DrugRef struct {
	NDC         string `json:"ndc,omitempty"`
	ClassPrefix string `json:"class_prefix,omitempty"`
}

// Matches reports whether the drug with this NDC and class is selected.
func (d DrugRef) Matches(ndc, class string) bool {
	if d.NDC != "" {
		return d.NDC == ndc
	}
	return d.ClassPrefix != "" && strings.HasPrefix(class, d.ClassPrefix)
}

func (d DrugRef) String() string {
	if d.NDC != "" {
		return "NDC " + d.NDC
	}
	return "class " + d.ClassPrefix + "*"
}

func (d DrugRef) Validate() error {
	switch {
	case d.NDC != "" && d.ClassPrefix != "":
		return fmt.Errorf("give ndc or class_prefix, not both")
	case d.NDC != "":
		if len(d.NDC) != 11 || strings.Trim(d.NDC, "0123456789") != "" {
			return fmt.Errorf("ndc %q must be 11 digits", d.NDC)
		}
	case d.ClassPrefix == "":
		return fmt.Errorf("ndc or class_prefix is required")
	}
	return nil
}
