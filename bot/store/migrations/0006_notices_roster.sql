-- 0006: the outbox addresses people and places, not chats; the roster lives in the database.
--
-- outbox.recipient is a recipient key (person:<ref>, group:<office>, reporter:<case>,
-- address:<channel>:<address>); the channel resolves it when it sends. Rows written before
-- carried a Telegram chat id: they become address:telegram:<chat id> so they still go out.
-- provider_message_id replaces telegram_message_id (any channel's id for the sent message).
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    recipient TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'telegram',
    kind TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id) ON DELETE CASCADE,
    dedupe_key TEXT UNIQUE,
    language TEXT NOT NULL DEFAULT 'id',
    payload_enc BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    sent_at TEXT,
    provider_message_id TEXT,
    last_error TEXT
);
INSERT INTO outbox_new (id, created_at, recipient, channel, kind, case_id, dedupe_key, language,
                        payload_enc, status, attempts, not_before, sent_at, provider_message_id,
                        last_error)
    SELECT id, created_at, 'address:telegram:' || chat_id, 'telegram', kind, case_id, dedupe_key,
           language, payload_enc, status, attempts, not_before, sent_at,
           CAST(telegram_message_id AS TEXT), last_error
    FROM outbox ORDER BY id;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (status, not_before);

-- The roster as every process sees it: the office file's roster with the approved
-- roster_changes on top (rebuilt from the file at start, idempotently; changed in the same
-- transaction as each decision). Only user ids and roles.
CREATE TABLE IF NOT EXISTS roster (
    office_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (office_id, user_id, role)
);
