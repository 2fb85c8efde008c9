package adminctl

import (
	"fmt"
	"io"
	"time"
)

type backupCmd struct {
	Dir string `name:"dir" placeholder:"NAME" help:"The backup's directory under the server's --backup-dir: one path element (letters, digits, '.', '_', '-'). Default: backup-<UTC time>."`
}

// Run asks the server for a backup and prints where it went, its size and
// what it holds; --json prints its manifest (backup.json).
func (c *backupCmd) Run(s *session) error {
	b, err := s.operator.CreateBackup(s.ctx, c.Dir)
	if err != nil {
		return err
	}
	if s.json {
		_, err = io.WriteString(s.out, b.Manifest)
		return err
	}
	last := ""
	if b.LastClaimID != "" {
		last = " (newest " + b.LastClaimID + ")"
	}
	_, err = fmt.Fprintf(s.out, "backup %s written to %s on the server\n  %d files, %d bytes, %d claims%s, begun %s\n",
		b.Name, b.Path, b.Files, b.Bytes, b.Claims, last, b.CreatedAt.Format(time.RFC3339))
	return err
}
