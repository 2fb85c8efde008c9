package records

import (
	"encoding/json"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// EncodeHistory writes a history entry as JSON.
func EncodeHistory(h *adjudicator.HistoryEntry) ([]byte, error) { return json.Marshal(h) }

// DecodeHistory reads an entry written by EncodeHistory.
func DecodeHistory(b []byte) (adjudicator.HistoryEntry, error) {
	if h, ok := decodeHistoryFast(b); ok {
		return h, nil
	}
	var h adjudicator.HistoryEntry
	err := json.Unmarshal(b, &h)
	return h, err
}

// EncodeFamily writes a family as JSON.
func EncodeFamily(f *domain.Family) ([]byte, error) { return json.Marshal(f) }

// DecodeFamily reads a family written by EncodeFamily.
func DecodeFamily(b []byte) (*domain.Family, error) {
	f := new(domain.Family)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, err
	}
	return f, nil
}

// EncodeConfig writes the configuration base (without families and edits,
// which are stored one by one) as JSON.
func EncodeConfig(c *config.Config) ([]byte, error) { return json.Marshal(c) }

// DecodeConfig reads a configuration written by EncodeConfig.
func DecodeConfig(b []byte) (*config.Config, error) {
	c := new(config.Config)
	if err := json.Unmarshal(b, c); err != nil {
		return nil, err
	}
	return c, nil
}

// EncodeEdit writes one edit version as JSON.
func EncodeEdit(e *edits.Edit) ([]byte, error) { return json.Marshal(e) }

// DecodeEdit reads an edit version written by EncodeEdit.
func DecodeEdit(b []byte) (edits.Edit, error) {
	var e edits.Edit
	err := json.Unmarshal(b, &e)
	return e, err
}

// EncodePriorAuth writes a prior authorization record as JSON.
func EncodePriorAuth(p *domain.PriorAuth) ([]byte, error) { return json.Marshal(p) }

// DecodePriorAuth reads a record written by EncodePriorAuth.
func DecodePriorAuth(b []byte) (domain.PriorAuth, error) {
	var p domain.PriorAuth
	err := json.Unmarshal(b, &p)
	return p, err
}

// EncodeConfigVersion writes a configuration version as JSON.
func EncodeConfigVersion(v *adjudicator.ConfigVersion) ([]byte, error) { return json.Marshal(v) }

// DecodeConfigVersion reads a version written by EncodeConfigVersion.
func DecodeConfigVersion(b []byte) (*adjudicator.ConfigVersion, error) {
	v := new(adjudicator.ConfigVersion)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

// EncodeRetroJob writes a retro job as JSON.
func EncodeRetroJob(j *adjudicator.RetroJob) ([]byte, error) { return json.Marshal(j) }

// DecodeRetroJob reads a job written by EncodeRetroJob.
func DecodeRetroJob(b []byte) (*adjudicator.RetroJob, error) {
	j := new(adjudicator.RetroJob)
	if err := json.Unmarshal(b, j); err != nil {
		return nil, err
	}
	return j, nil
}

// EncodeRetroProgress writes a retro job's progress record as JSON.
func EncodeRetroProgress(p *adjudicator.RetroProgress) ([]byte, error) { return json.Marshal(p) }

// DecodeRetroProgress reads a record written by EncodeRetroProgress.
func DecodeRetroProgress(b []byte) (adjudicator.RetroProgress, error) {
	var p adjudicator.RetroProgress
	err := json.Unmarshal(b, &p)
	return p, err
}

// EncodeRetroJobStatus writes a retro job's status as JSON.
func EncodeRetroJobStatus(st *adjudicator.RetroJobStatus) ([]byte, error) { return json.Marshal(st) }

// DecodeRetroJobStatus reads a status written by EncodeRetroJobStatus.
func DecodeRetroJobStatus(b []byte) (*adjudicator.RetroJobStatus, error) {
	st := new(adjudicator.RetroJobStatus)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, err
	}
	return st, nil
}
