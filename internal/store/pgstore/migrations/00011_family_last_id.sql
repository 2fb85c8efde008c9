-- +goose Up
-- The largest ID issued under each family's lock, by any instance: read
-- with the lock, set by the commit that writes it, so the engine issues
-- the family's next ID above it whatever the instances' clocks
-- (adjudicator.IDFloor). IDs are lowercase hex of one length, which sort
-- the same in every collation; '' is below every ID. A constant default:
-- adding the column rewrites no row.
ALTER TABLE family_locks ADD COLUMN last_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE family_locks DROP COLUMN last_id;
