-- 0010: UU 27/2022 (PDP) duties.
-- The consent text a case's reporter agreed to (bot/domain/consent.py; NULL: before versions),
-- and a legal hold staff flag (a court case, a referral): the data must be kept (Pasal 15).
ALTER TABLE cases ADD COLUMN consent_version TEXT;
ALTER TABLE cases ADD COLUMN legal_hold TEXT;

-- A data subject's request by tracking code (see, correct, delete): a staff task with a
-- deadline, answered and audited. Kept after the case is erased (accountability), so it
-- refers to the case by id and number without a foreign key. detail_enc holds the
-- correction's text and where to answer, encrypted; it is dropped once answered.
CREATE TABLE IF NOT EXISTS rights_requests (
    id INTEGER PRIMARY KEY,
    subject_case INTEGER NOT NULL,
    case_number TEXT NOT NULL,
    office_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'correct', 'erase')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'refused')),
    requested_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    hold TEXT,
    detail_enc BLOB,
    answered_at TEXT,
    answered_by TEXT,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS rights_requests_open ON rights_requests (status, due_at);
CREATE INDEX IF NOT EXISTS rights_requests_case ON rights_requests (subject_case, kind, status);

-- A personal data breach (Pasal 46): the notices are due 3x24 hours after it was recorded.
-- Counts and dates only.
CREATE TABLE IF NOT EXISTS breach_incidents (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    since TEXT NOT NULL,
    due_at TEXT NOT NULL,
    cases INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'notified')),
    notified_at TEXT
);
