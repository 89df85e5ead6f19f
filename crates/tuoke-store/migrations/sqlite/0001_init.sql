-- tuoke store, SQLite. Times are Unix milliseconds (UTC); JSON is stored as TEXT.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    phone       TEXT,
    email       TEXT,
    wechat      TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    stage           TEXT NOT NULL,
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    created_by_key  TEXT,
    day             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX conversations_customer ON conversations(customer_id);
CREATE INDEX conversations_status_updated ON conversations(status, updated_at);
CREATE INDEX conversations_updated ON conversations(updated_at);

CREATE TABLE messages (
    id                  TEXT PRIMARY KEY,
    conversation_id     TEXT NOT NULL REFERENCES conversations(id),
    seq                 INTEGER NOT NULL,
    role                TEXT NOT NULL,
    text                TEXT NOT NULL,
    analysis            TEXT,
    citations           TEXT,
    agent               TEXT,
    intent              TEXT,
    sentiment           TEXT,
    client_message_id   TEXT,
    result              TEXT,
    day                 TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, client_message_id)
);
CREATE INDEX messages_day ON messages(day);

CREATE TABLE leads (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    customer_id     TEXT NOT NULL,
    score           INTEGER NOT NULL,
    grade           TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    last_activity   INTEGER NOT NULL,
    last_message    TEXT
);
CREATE INDEX leads_grade_score ON leads(grade, score);
CREATE INDEX leads_score ON leads(score);
CREATE INDEX leads_activity ON leads(last_activity);

CREATE TABLE handoffs (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    reason          TEXT NOT NULL,
    summary         TEXT NOT NULL,
    agent           TEXT,
    requested_at    INTEGER NOT NULL,
    taken_at        INTEGER,
    released_at     INTEGER
);
CREATE INDEX handoffs_conversation ON handoffs(conversation_id);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    active      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE webhook_outbox (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    delivered_at    INTEGER,
    failed_at       INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(delivered_at, failed_at, next_attempt_at);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events(at);
