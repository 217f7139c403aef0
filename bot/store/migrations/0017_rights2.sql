-- 0017: integrity of what grants rights or routes messages (security review #5), and a journal
-- for key rotation in batches (#16).
--
-- roster_changes and group_addresses rows carry a keyed MAC (row_mac, HMAC-SHA256 with a subkey
-- of PPA_SECRET_KEY); integrity_seals hold a MAC over a whole set (an office's roster, an
-- office's approved roster changes), so that a row added or deleted without the key is seen.
-- Rows written before this migration are signed once by the application, at its first start
-- after it (integrity_migration, while no seal exists yet); an unsigned row found later is refused.
ALTER TABLE roster_changes ADD COLUMN row_mac TEXT;
ALTER TABLE group_addresses ADD COLUMN row_mac TEXT;
CREATE TABLE integrity_seals (
    name TEXT PRIMARY KEY,
    mac TEXT NOT NULL
);
CREATE TABLE integrity_migration (pending INTEGER NOT NULL);
INSERT INTO integrity_migration (pending)
    SELECT 1 WHERE EXISTS (SELECT 1 FROM roster_changes) OR EXISTS (SELECT 1 FROM group_addresses)
        OR EXISTS (SELECT 1 FROM roster);
-- a key rotation under way (rotate-key works in batches, each its own transaction): while a row
-- is here the bot refuses to start; running rotate-key again with the same keys finishes it.
CREATE TABLE key_rotation (
    old_key_id TEXT NOT NULL,
    new_key_id TEXT NOT NULL,
    started_at TEXT NOT NULL
);

-- A data subject may also ask to restrict the processing of her data (UU 27/2022 Pasal 11) and
-- withdraw her consent (Pasal 9): two more kinds of request (the CHECK is rebuilt).
CREATE TABLE rights_requests_new (
    id INTEGER PRIMARY KEY,
    subject_case INTEGER NOT NULL,
    case_number TEXT NOT NULL,
    office_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'correct', 'erase', 'restrict', 'withdraw')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'refused')),
    requested_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    hold TEXT,
    detail_enc BLOB,
    answered_at TEXT,
    answered_by TEXT,
    answer TEXT
);
INSERT INTO rights_requests_new SELECT id, subject_case, case_number, office_id, kind, status,
    requested_at, due_at, hold, detail_enc, answered_at, answered_by, answer FROM rights_requests;
DROP TABLE rights_requests;
ALTER TABLE rights_requests_new RENAME TO rights_requests;
CREATE INDEX IF NOT EXISTS rights_requests_open ON rights_requests (status, due_at);
CREATE INDEX IF NOT EXISTS rights_requests_case ON rights_requests (subject_case, kind, status);

-- Evidence is attached one file at a time after the case is stored (security review #16: never
-- every file of a report in memory at once); item_no makes a replayed attachment a no-op.
ALTER TABLE evidence ADD COLUMN item_no INTEGER;
CREATE UNIQUE INDEX evidence_item ON evidence (case_id, item_no) WHERE item_no IS NOT NULL;
