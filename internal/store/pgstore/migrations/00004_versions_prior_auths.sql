-- +goose Up
-- Every configuration version a claim may record (adjudicator.ConfigHistory),
-- kept forever, and prior authorizations as records of their own beside
-- the families (adjudicator.PriorAuthStore): enrollment writes never touch
-- them. Values are the encodings of internal/store/records.
CREATE TABLE config_versions (
    number bigint PRIMARY KEY,
    record bytea NOT NULL
);
CREATE TABLE prior_auths (
    cardholder_id text NOT NULL,
    person_code text NOT NULL,
    number text NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (cardholder_id, person_code, number)
);

-- +goose Down
DROP TABLE prior_auths;
DROP TABLE config_versions;
