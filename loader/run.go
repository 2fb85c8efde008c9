package loader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/rxclaims/rxclaims/loader/state"
)

// Run is the sidecar's long-running mode: it finishes interrupted work,
// then scans the inbox every PollInterval and syncs the outbox in the
// background, until ctx ends. It serves status and the policy commands on
// the control socket meanwhile (Control).
func (l *Loader) Run(ctx context.Context) error {
	if l.opts.Sink != nil {
		done := make(chan struct{})
		defer func() { <-done }()
		syncCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() { defer close(done); l.runSync(syncCtx, l.opts.PollInterval) }()
	}
	if stop, err := l.serveControl(); err != nil {
		l.log.Warn("no control socket: status and policy commands cannot reach this loader", "error", err)
	} else {
		defer stop()
	}
	last := "" // the last scan's error, logged once until it changes
	for {
		_, err := l.ScanInbox(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errCrash) {
			return err // a simulated crash ends the process (tests)
		}
		if msg := errText(err); msg != last && msg != "" {
			l.log.Error("inbox scan", "error", msg)
		}
		last = errText(err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(l.opts.PollInterval):
		}
	}
}

// ApplyFile is the one-shot mode: it copies path into the inbox, stages and
// processes it, and returns its status (Loading if records are still
// missing). Interrupted work of earlier files is finished first.
func (l *Loader) ApplyFile(ctx context.Context, path string) (*FileStatus, error) {
	name := filepath.Base(path)
	if formatOf(name) == "" {
		return nil, fmt.Errorf("%s: the name must end in .csv or .jsonl", name)
	}
	dst := filepath.Join(l.dirs.inbox, name)
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("%s is already in the inbox", name)
	}
	if err := copyFile(path, dst); err != nil {
		return nil, err
	}
	blocked, err := l.resume(ctx)
	if err != nil {
		return nil, err
	}
	f, err := l.stage(name)
	if err != nil || f == nil {
		if f == nil && err == nil {
			err = fmt.Errorf("%s: the header line is incomplete", name)
		}
		return nil, err
	}
	if err := blocked[f.Group]; err != nil {
		return f, fmt.Errorf("file %s waits behind a file that failed: %w", f.Ref(), err)
	}
	if err := joinBlocked(blocked); err != nil { // other groups': logged, they do not stop this file
		l.log.Error("other groups' intake is stopped", "error", err)
	}
	if f.Status == Pending {
		if _, locked, err := l.Locked(f.Group); err != nil {
			return f, err
		} else if locked {
			return f, fmt.Errorf("file %s waits: %w", f.Ref(), ErrRewinding)
		}
		if err := l.process(ctx, f); err != nil {
			return f, err
		}
	}
	return l.File(f.Group, f.Seq)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp")
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// Affected is a paid claim a retroactive change affects.
type Affected struct {
	ClaimID       string `json:"claim_id"`
	Member        string `json:"member"` // cardholder ID and person code
	DateOfService string `json:"date_of_service"`
	PlanID        string `json:"plan_id"`
	Reason        string `json:"reason"`
	// Reversed says the claim was reversed and billed again by the
	// adjudicator's retro job (Job): its new answer follows.
	Reversed   bool     `json:"reversed"`
	Job        string   `json:"job,omitempty"`
	State      string   `json:"state,omitempty"` // DONE or SKIPPED (another transaction reversed it first)
	NewClaimID string   `json:"new_claim_id,omitempty"`
	NewStatus  string   `json:"new_status,omitempty"` // P or R
	NewPlanID  string   `json:"new_plan_id,omitempty"`
	NewRejects []string `json:"new_rejects,omitempty"`
}

// Retro lists the paid claims the retroactive changes of file group/seq
// affect and, when readjudicate is set, has the adjudicator re-adjudicate
// them: one retro job per changed member, which reverses the member's paid
// claims from the change's date and bills them again under the enrollment
// now synced. A job's ID names the file and the change's place in it, so
// running this again resumes an unfinished job and changes nothing once it
// is finished (it reports the job again).
func (l *Loader) Retro(ctx context.Context, group string, seq uint64, readjudicate bool) ([]Affected, error) {
	if l.opts.Sink == nil {
		return nil, errors.New("loader: retroactive checks need the adjudicator")
	}
	if f, err := l.File(group, seq); err != nil || f == nil {
		return nil, errors.Join(err, fmt.Errorf("no file %s/%d", group, seq))
	}
	var retros []Retro
	prefix := state.FileScoped("r", group, seq)
	err := state.Scan(l.db, prefix, false, func(k, v []byte) error {
		var r Retro
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		r.CardholderID, r.PersonCode, _ = cut(string(k[len(prefix):]))
		retros = append(retros, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	today := l.today()
	var out []Affected
	for i, r := range retros {
		member := r.CardholderID + "/" + r.PersonCode
		if readjudicate {
			job := RetroJob{ID: retroJobID(group, seq, i), CardholderID: r.CardholderID, PersonCode: r.PersonCode, From: r.From, Reason: r.Reason}
			lines, err := l.opts.Sink.Readjudicate(ctx, job)
			if err != nil {
				return out, fmt.Errorf("retro job %s: %w", job.ID, err)
			}
			for _, ln := range lines {
				out = append(out, Affected{ClaimID: ln.ClaimID, Member: member, DateOfService: ln.DateOfService, PlanID: ln.PlanBefore,
					Reason: r.Reason, Reversed: ln.State != "SKIPPED", Job: job.ID, State: ln.State, NewClaimID: ln.NewClaimID,
					NewStatus: ln.StatusAfter, NewPlanID: ln.PlanAfter, NewRejects: ln.RejectsAfter})
			}
			continue
		}
		claims, err := l.opts.Sink.MemberClaims(ctx, r.CardholderID, r.PersonCode, r.From, today)
		if err != nil {
			return out, fmt.Errorf("claims of a member of %s/%d: %w", group, seq, err)
		}
		for _, c := range claims {
			if c.Status != "P" || (r.Plan != "" && c.PlanID == r.Plan) {
				continue
			}
			out = append(out, Affected{ClaimID: c.ClaimID, Member: member, DateOfService: c.DateOfService.String(), PlanID: c.PlanID, Reason: r.Reason})
		}
	}
	return out, nil
}

// retroJobID names the retro job of the n-th retroactive change of file
// group/seq, in the adjudicator's job ID alphabet; it names no member.
func retroJobID(group string, seq uint64, n int) string {
	g := strings.Map(func(r rune) rune {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r)) {
			return r
		}
		return '_'
	}, group)
	id := fmt.Sprintf("loader:%s:%d:%d", g, seq, n)
	if len(id) > 64 {
		id = fmt.Sprintf("loader:%s:%d:%d", g[:64-len(id)+len(g)], seq, n)
	}
	return id
}
