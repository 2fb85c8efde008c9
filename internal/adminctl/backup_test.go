package adminctl_test

import (
	"testing"

	"github.com/rxclaims/rxclaims/internal/servertest"
)

// TestBackupOff: a server started without --backup-dir refuses a backup
// and says how to turn backups on. (cmd/adjudicator's TestBackupUnderLoad
// runs adjctl backup against the real binary with a backup root.)
func TestBackupOff(t *testing.T) {
	a := adjctl{t: t, addr: servertest.Start(t, t.TempDir()).AdminAddr}
	a.fails("FailedPrecondition: backups are off: start the server with --backup-dir", "ops", "backup", "--dir", "b1")
}
