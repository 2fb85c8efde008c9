-- +goose Up
-- The configuration's version: every configuration change moves it in its
-- own transaction, refused when the instance making it does not hold the
-- latest version; instances reload when it moves (NOTIFY, and a poll).
CREATE TABLE config_version (
    id smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

-- +goose Down
DROP TABLE config_version;
