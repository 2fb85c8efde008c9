-- +goose Up
-- config_version holds the number of the latest configuration version
-- (config_versions), so that a change is a compare-and-set on it: written
-- only if the version it was made from is still the latest.
UPDATE config_version SET version = COALESCE((SELECT max(number) FROM config_versions), 0) WHERE id = 1;

-- +goose Down
SELECT 1;
