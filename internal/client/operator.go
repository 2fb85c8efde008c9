package client

import (
	"context"
	"time"

	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Operator calls an OperatorService. Every call names the acting user in
// the x-user metadata (a development-mode server's identity).
type Operator struct {
	c    pb.OperatorServiceClient
	user string
}

// NewOperator wraps a connection; user is the acting user.
func NewOperator(conn grpc.ClientConnInterface, user string) *Operator {
	return &Operator{c: pb.NewOperatorServiceClient(conn), user: user}
}

// Backup is a backup the server wrote.
type Backup struct {
	Name        string    // the directory under the server's --backup-dir
	Path        string    // on the server's filesystem
	Bytes       int64     // the store files' total size
	Files       int       // the number of store files
	Claims      int64     // claim records in the backup
	LastClaimID string    // the newest of them
	CreatedAt   time.Time // when the backup began
	Manifest    string    // backup.json as written
}

// CreateBackup asks the server for a backup named name (empty: the server
// names it by the time).
func (c *Operator) CreateBackup(ctx context.Context, name string) (*Backup, error) {
	if c.user != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, UserMetadataKey, c.user)
	}
	r, err := c.c.CreateBackup(ctx, &pb.CreateBackupRequest{Name: name})
	if err != nil {
		return nil, err
	}
	at, _ := time.Parse(time.RFC3339Nano, r.GetCreatedAt())
	return &Backup{
		Name: r.GetName(), Path: r.GetPath(), Bytes: r.GetBytes(), Files: int(r.GetFiles()),
		Claims: r.GetClaims(), LastClaimID: r.GetLastClaimId(), CreatedAt: at, Manifest: r.GetManifestJson(),
	}, nil
}
