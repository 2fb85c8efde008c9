-- +goose Up
-- A running retro job holds its row here, locked in a transaction of its
-- instance for as long as it runs: the same job started on another
-- instance finds it locked and is refused (a dead instance's connection,
-- and so its lock, goes with it).
CREATE TABLE retro_locks (
    job_id text PRIMARY KEY
);

-- +goose Down
DROP TABLE retro_locks;
