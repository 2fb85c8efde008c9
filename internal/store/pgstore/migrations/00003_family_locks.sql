-- +goose Up
-- One row per family, locked (upserted) by every claim transaction before
-- it reads the family, its documents or its history: claims of one family
-- are serialized across instances as the engine's in-process lock
-- serializes them within one.
CREATE TABLE family_locks (
    cardholder_id text PRIMARY KEY
);

-- +goose Down
DROP TABLE family_locks;
