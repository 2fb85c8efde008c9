-- +goose Up
-- The engine's state (adjudicator/store.go). Values are the encodings of
-- internal/store/records, as the Pebble store keeps them; keys are columns.
-- Dates are ISO text (YYYY-MM-DD) and claim IDs lowercase hex, which sort
-- the same in every collation.
CREATE TABLE families (
    cardholder_id text PRIMARY KEY,
    record bytea NOT NULL
);
CREATE TABLE claims (
    id text PRIMARY KEY,
    record bytea NOT NULL
);
-- One row per claim key: two instances racing the same key cannot both pay it.
CREATE TABLE claim_index (
    pharmacy_npi text NOT NULL,
    rx_number text NOT NULL,
    fill_number integer NOT NULL,
    date_of_service text NOT NULL,
    claim_id text NOT NULL,
    PRIMARY KEY (pharmacy_npi, rx_number, fill_number, date_of_service)
);
CREATE TABLE history (
    cardholder_id text NOT NULL,
    person_code text NOT NULL,
    date_of_service text NOT NULL,
    claim_id text NOT NULL,
    entry bytea NOT NULL,
    PRIMARY KEY (cardholder_id, person_code, date_of_service, claim_id)
);
CREATE TABLE documents (
    scope smallint NOT NULL,
    owner_id text NOT NULL,
    period text NOT NULL,
    doc bytea NOT NULL,
    PRIMARY KEY (scope, owner_id, period)
);
CREATE TABLE config_base (
    id smallint PRIMARY KEY CHECK (id = 1),
    record bytea NOT NULL
);
CREATE TABLE edit_versions (
    edit_id text NOT NULL,
    version integer NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (edit_id, version)
);
CREATE TABLE pending_imports (
    id text PRIMARY KEY,
    record bytea NOT NULL
);
-- The audit trail: entries by sequence number, with their time (Unix
-- nanoseconds) indexed; the head (last entry) is one row, locked by every
-- append, so the trail is one chain across instances.
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    at_ns bigint NOT NULL,
    entry bytea NOT NULL
);
CREATE INDEX audit_by_time ON audit (at_ns, seq);
CREATE TABLE audit_head (
    id smallint PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    at_ns bigint NOT NULL
);
INSERT INTO audit_head (id, seq, hash, at_ns) VALUES (1, 0, '\x'::bytea, 0);

-- +goose Down
DROP TABLE audit_head, audit, pending_imports, edit_versions, config_base, documents, history, claim_index, claims, families;
