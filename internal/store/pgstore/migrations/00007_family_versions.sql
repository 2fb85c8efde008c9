-- +goose Up
-- Every write of a family is kept as a version, named by the ID the
-- engine issued for it in the claim ID order, so a replay reads a family
-- as the claim read it. A removal's version has no record.
CREATE TABLE family_versions (
    cardholder_id text NOT NULL,
    at text NOT NULL,
    record bytea,
    PRIMARY KEY (cardholder_id, at)
);

-- +goose Down
DROP TABLE family_versions;
