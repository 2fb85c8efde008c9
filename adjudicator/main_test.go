package adjudicator_test

import (
	"testing"

	"github.com/rxclaims/rxclaims/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster the tests on the PostgreSQL store
// started.
func TestMain(m *testing.M) { pgtest.Main(m) }
