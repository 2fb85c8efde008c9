-- +goose Up
-- Retro jobs (adjudicator.RetroStore): each job with the claims it
-- re-adjudicates, and one progress record per claim, written in the claim
-- transaction of the claim's reversal or re-bill. Values are the encodings
-- of internal/store/records.
CREATE TABLE retro_jobs (
    id text PRIMARY KEY,
    record bytea NOT NULL
);
CREATE TABLE retro_progress (
    job_id text NOT NULL,
    idx integer NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (job_id, idx)
);

-- +goose Down
DROP TABLE retro_progress;
DROP TABLE retro_jobs;
