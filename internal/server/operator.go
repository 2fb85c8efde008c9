package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/rxclaims/rxclaims/internal/auth"
	"github.com/rxclaims/rxclaims/internal/buildinfo"
	"github.com/rxclaims/rxclaims/internal/store"
	pb "github.com/rxclaims/rxclaims/proto/rxclaims/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Backuper writes a backup of the running store; *store.Store is one.
type Backuper interface {
	Backup(ctx context.Context, o store.BackupOptions) (*store.BackupManifest, error)
}

// operatorService serves OperatorService: online backup into the backup
// root. It runs one backup at a time.
//
// Policy: every OperatorService method needs the "operator" role and no
// other role grants it. A backup copies every member's claims, so it is
// for operators only.
//
// Audit (for the audit trail, action "operator.create_backup"): the
// caller's subject, the backup name and path, and on success its bytes,
// file count, claim count and last claim ID; on failure the status code.
// A backup changes no record, but it copies every member's data, so it is
// recorded either way. Until the trail lands, the log line below carries
// the same fields (none of them PHI).
type operatorService struct {
	pb.UnimplementedOperatorServiceServer
	store Backuper
	root  string // absolute, symlinks resolved; empty: backups are off
	log   *slog.Logger
	now   func() time.Time
	busy  sync.Mutex
}

// newOperatorService returns the service; with a nil store or an empty
// root, CreateBackup answers FailedPrecondition.
func newOperatorService(st Backuper, root string, log *slog.Logger) *operatorService {
	if log == nil {
		log = slog.Default()
	}
	return &operatorService{store: st, root: root, log: log, now: time.Now}
}

// CreateBackup implements OperatorService.CreateBackup.
func (s *operatorService) CreateBackup(ctx context.Context, req *pb.CreateBackupRequest) (*pb.CreateBackupResponse, error) {
	if s.store == nil || s.root == "" {
		return nil, status.Error(codes.FailedPrecondition, "backups are off: start the server with --backup-dir")
	}
	if !s.busy.TryLock() {
		return nil, status.Error(codes.FailedPrecondition, "a backup is already running")
	}
	defer s.busy.Unlock()
	start := s.now()
	m, err := s.store.Backup(ctx, store.BackupOptions{Root: s.root, Name: req.GetName(), ServerVersion: buildinfo.Version(), Now: s.now})
	subject := "unknown"
	if id, ok := auth.FromContext(ctx); ok {
		subject = id.Subject
	}
	if err != nil {
		st := backupStatus(err)
		lvl := slog.LevelError
		if c := st.Code(); c == codes.InvalidArgument || c == codes.AlreadyExists {
			lvl = slog.LevelWarn // the caller's mistake
		}
		s.log.Log(ctx, lvl, "backup failed", "subject", subject, "name", req.GetName(), "code", st.Code().String(), "error", err)
		return nil, st.Err()
	}
	manifest, _ := json.MarshalIndent(m, "", "  ") // as backup.json holds it
	s.log.InfoContext(ctx, "backup written", "subject", subject, "name", m.Name, "path", filepath.Join(s.root, m.Name),
		"bytes", m.Bytes, "files", len(m.Files), "claims", m.Claims, "last_claim_id", m.LastClaimID,
		"seconds", time.Since(start).Seconds())
	return &pb.CreateBackupResponse{
		Name: m.Name, Path: filepath.Join(s.root, m.Name), Bytes: m.Bytes, Files: int32(len(m.Files)),
		Claims: m.Claims, LastClaimId: m.LastClaimID, CreatedAt: m.CreatedAt.Format(time.RFC3339Nano),
		ManifestJson: string(manifest) + "\n",
	}, nil
}

// backupStatus maps a backup error to its gRPC status.
func backupStatus(err error) *status.Status {
	switch {
	case errors.Is(err, store.ErrBackupName):
		return status.New(codes.InvalidArgument, err.Error())
	case errors.Is(err, store.ErrBackupExists):
		return status.New(codes.AlreadyExists, err.Error())
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return status.New(codes.ResourceExhausted, "no space left in the backup directory; nothing was kept: "+err.Error())
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "backup canceled; nothing was kept")
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "backup deadline exceeded; nothing was kept")
	case errors.Is(err, store.ErrFailed):
		return status.New(codes.Unavailable, "the store has failed; nothing was kept: "+err.Error())
	}
	return status.New(codes.Internal, "backup failed; nothing was kept: "+err.Error())
}
