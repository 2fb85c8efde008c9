-- +goose Up
-- A retro job's status (adjudicator.RetroJobStatus): RUNNING from its
-- creation until it ends DONE or FAILED. The background runners of every
-- instance look here for the RUNNING jobs. The record is the encoding of
-- internal/store/records.
CREATE TABLE retro_job_status (
    job_id text PRIMARY KEY,
    state text NOT NULL,
    record bytea NOT NULL
);

-- +goose Down
DROP TABLE retro_job_status;
