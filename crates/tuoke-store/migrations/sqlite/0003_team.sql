-- The sales team's workspace (issue 15): who holds a taken-over conversation (by API key), private
-- notes, the outcome of a closed conversation and each key's read mark per conversation.
ALTER TABLE handoffs ADD COLUMN agent_key TEXT;

CREATE TABLE notes (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    author          TEXT NOT NULL,
    author_key      TEXT,
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notes_conversation ON notes(conversation_id, created_at);

CREATE TABLE outcomes (
    conversation_id TEXT PRIMARY KEY,
    outcome         TEXT NOT NULL,
    agent           TEXT,
    agent_key       TEXT,
    note            TEXT,
    closed_at       INTEGER NOT NULL
);
CREATE INDEX outcomes_closed ON outcomes(closed_at);

CREATE TABLE read_marks (
    key_id          TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (key_id, conversation_id)
);
CREATE INDEX handoffs_requested ON handoffs(requested_at);
