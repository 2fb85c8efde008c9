-- +goose Up
-- Each document names its family (the cardholder ID of its owner), so a
-- claim transaction reads all of its family's documents in the round trip
-- that takes the family's row lock, instead of one query per document.
ALTER TABLE documents ADD COLUMN family_id text;
UPDATE documents SET family_id = split_part(owner_id, ':', 1);
ALTER TABLE documents ALTER COLUMN family_id SET NOT NULL;
CREATE INDEX documents_by_family ON documents (family_id);

-- +goose Down
DROP INDEX documents_by_family;
ALTER TABLE documents DROP COLUMN family_id;
