-- 0001: cases, events, evidence, counters, inbox, outbox, persistence, audit.
-- Personal data lives only in *_enc columns (AES-GCM, see bot/crypto.py).

CREATE TABLE case_counters (
    office_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (office_id, year)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    office_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    tracking_index TEXT NOT NULL UNIQUE,
    reporter_index TEXT,
    channel TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    child_victim INTEGER NOT NULL DEFAULT 0,
    victim_sex TEXT NOT NULL,
    victim_age_group TEXT NOT NULL,
    disability INTEGER NOT NULL DEFAULT 0,
    categories TEXT NOT NULL,
    relation TEXT NOT NULL,
    help_wanted TEXT NOT NULL,
    reporter_type TEXT NOT NULL,
    notify_mode TEXT NOT NULL DEFAULT 'normal',
    language TEXT NOT NULL DEFAULT 'id',
    status TEXT NOT NULL DEFAULT 'new',
    stage TEXT NOT NULL DEFAULT 'received',
    received_at TEXT NOT NULL,
    first_response_due TEXT NOT NULL,
    taken_by INTEGER,
    taken_at TEXT,
    closed_at TEXT,
    recorded_by INTEGER,
    reporter_chat_enc BLOB,
    details_enc BLOB NOT NULL
);
CREATE INDEX cases_office_status ON cases (office_id, status);
CREATE INDEX cases_reporter ON cases (reporter_index);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id);

CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    content_enc BLOB NOT NULL
);

CREATE TABLE inbox (
    update_id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at TEXT,
    payload_enc BLOB
);
CREATE INDEX inbox_status ON inbox (status, update_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id) ON DELETE CASCADE,
    dedupe_key TEXT UNIQUE,
    language TEXT NOT NULL DEFAULT 'id',
    payload_enc BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    sent_at TEXT,
    telegram_message_id INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (status, not_before);

CREATE TABLE conversations (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key)
);

CREATE TABLE user_data (
    user_id INTEGER PRIMARY KEY,
    data_enc BLOB NOT NULL
);

CREATE TABLE chat_data (
    chat_id INTEGER PRIMARY KEY,
    data_enc BLOB NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
