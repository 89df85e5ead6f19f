-- Secrets every server process on this database shares (issue 14): the key that signs widget
-- conversation tokens. Created on first use, never shown.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
