-- +goose NO TRANSACTION
-- +goose Up
-- Each document names its family (the cardholder ID of its owner), so a
-- claim transaction reads all of its family's documents in the round trip
-- that takes the family's row lock, instead of one query per document.
-- Outside a transaction, each statement repeatable: CockroachDB does not
-- let a transaction write a column it added (cockroach#43057), and a
-- start that died half-way runs it again from the top.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS family_id text;
UPDATE documents SET family_id = split_part(owner_id, ':', 1) WHERE family_id IS NULL;
ALTER TABLE documents ALTER COLUMN family_id SET NOT NULL;
CREATE INDEX IF NOT EXISTS documents_by_family ON documents (family_id);

-- +goose Down
DROP INDEX IF EXISTS documents_by_family;
ALTER TABLE documents DROP COLUMN IF EXISTS family_id;
