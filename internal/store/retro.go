package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// Retro jobs are stored under "j\x00<job ID>", their statuses under
// "J\x00<job ID>", and their progress records under
// "x\x00<job ID>\x00<index, 4 bytes big-endian>", so a job's records read
// in index order.

func retroJobKey(id string) []byte { return append([]byte("j\x00"), id...) }

var retroStatusPrefix = []byte("J\x00")

func retroStatusKey(id string) []byte {
	return append(retroStatusPrefix[:len(retroStatusPrefix):len(retroStatusPrefix)], id...)
}

func retroProgressPrefix(id string) []byte { return append(append([]byte("x\x00"), id...), 0) }

func retroProgressKey(id string, index int) []byte {
	return binary.BigEndian.AppendUint32(retroProgressPrefix(id), uint32(index))
}

// CreateRetroJob implements adjudicator.RetroStore. Creations are
// serialized, so of two creations of one ID exactly one writes.
func (s *Store) CreateRetroJob(_ context.Context, job *adjudicator.RetroJob, audit *adjudicator.AuditEntry) (bool, error) {
	s.retroMu.Lock()
	defer s.retroMu.Unlock()
	old, err := s.get(retroJobKey(job.ID))
	if err != nil || old != nil {
		return false, err
	}
	v, err := records.EncodeRetroJob(job)
	if err != nil {
		return false, err
	}
	b := s.newBatch()
	defer b.Close()
	if err := b.Set(retroJobKey(job.ID), v, nil); err != nil {
		return false, err
	}
	st, err := records.EncodeRetroJobStatus(&adjudicator.RetroJobStatus{JobID: job.ID, State: adjudicator.RetroJobRunning, At: job.Created})
	if err != nil {
		return false, err
	}
	if err := b.Set(retroStatusKey(job.ID), st, nil); err != nil {
		return false, err
	}
	if err := s.commitAudited(b, audit); err != nil {
		return false, fmt.Errorf("store: write retro job: %w", err)
	}
	return true, nil
}

// SetRetroJobStatus implements adjudicator.RetroStore.
func (s *Store) SetRetroJobStatus(_ context.Context, st *adjudicator.RetroJobStatus, audit *adjudicator.AuditEntry) error {
	v, err := records.EncodeRetroJobStatus(st)
	if err != nil {
		return err
	}
	b := s.newBatch()
	defer b.Close()
	if err := b.Set(retroStatusKey(st.JobID), v, nil); err != nil {
		return err
	}
	if err := s.commitAudited(b, audit); err != nil {
		return fmt.Errorf("store: write retro job status: %w", err)
	}
	return nil
}

// SetRetroJobClaims implements adjudicator.RetroStore.
func (s *Store) SetRetroJobClaims(_ context.Context, job *adjudicator.RetroJob, audit *adjudicator.AuditEntry) error {
	v, err := records.EncodeRetroJob(job)
	if err != nil {
		return err
	}
	b := s.newBatch()
	defer b.Close()
	if err := b.Set(retroJobKey(job.ID), v, nil); err != nil {
		return err
	}
	if err := s.commitAudited(b, audit); err != nil {
		return fmt.Errorf("store: write retro job claims: %w", err)
	}
	return nil
}

// RetroJobStatus implements adjudicator.RetroStore.
func (s *Store) RetroJobStatus(_ context.Context, id string) (*adjudicator.RetroJobStatus, error) {
	v, err := s.get(retroStatusKey(id))
	if err != nil || v == nil {
		return nil, err
	}
	st, err := records.DecodeRetroJobStatus(v)
	if err != nil {
		return nil, fmt.Errorf("store: retro job status %s: %w", id, err)
	}
	return st, nil
}

// RunningRetroJobs implements adjudicator.RetroStore: one scan of the
// statuses, a few bytes each.
func (s *Store) RunningRetroJobs(_ context.Context) ([]string, error) {
	if err := s.health.err(); err != nil {
		return nil, err
	}
	state := map[string]adjudicator.RetroJobState{}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: retroStatusPrefix, UpperBound: []byte("J\x01")})
	if err != nil {
		return nil, err
	}
	for it.First(); it.Valid(); it.Next() {
		st, err := records.DecodeRetroJobStatus(it.Value())
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("store: retro job status: %w", err)
		}
		state[st.JobID] = st.State
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, err
	}
	// The jobs, in ID order; one without a status was stored before jobs
	// had one, and is run as RUNNING (a finished one then ends DONE).
	jobs, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte("j\x00"), UpperBound: []byte("j\x01")})
	if err != nil {
		return nil, err
	}
	defer jobs.Close()
	var out []string
	for jobs.First(); jobs.Valid(); jobs.Next() {
		id := string(jobs.Key()[2:])
		if st, ok := state[id]; !ok || st == adjudicator.RetroJobRunning {
			out = append(out, id)
		}
	}
	return out, jobs.Error()
}

// RetroJob implements adjudicator.RetroStore.
func (s *Store) RetroJob(_ context.Context, id string) (*adjudicator.RetroJob, error) {
	v, err := s.get(retroJobKey(id))
	if err != nil || v == nil {
		return nil, err
	}
	job, err := records.DecodeRetroJob(v)
	if err != nil {
		return nil, fmt.Errorf("store: retro job %s: %w", id, err)
	}
	return job, nil
}

// RetroProgress implements adjudicator.RetroStore.
func (s *Store) RetroProgress(_ context.Context, id string) ([]adjudicator.RetroProgress, error) {
	if err := s.health.err(); err != nil {
		return nil, err
	}
	p := retroProgressPrefix(id)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: append(p[:len(p)-1:len(p)-1], 1)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []adjudicator.RetroProgress
	for it.First(); it.Valid(); it.Next() {
		r, err := records.DecodeRetroProgress(it.Value())
		if err != nil {
			return nil, fmt.Errorf("store: retro progress record: %w", err)
		}
		out = append(out, r)
	}
	return out, it.Error()
}

// setRetroProgress adds a commit's progress record, if any, to b.
func setRetroProgress(b *pebble.Batch, p *adjudicator.RetroProgress) error {
	if p == nil {
		return nil
	}
	v, err := records.EncodeRetroProgress(p)
	if err != nil {
		return err
	}
	return b.Set(retroProgressKey(p.JobID, p.Index), v, nil)
}
