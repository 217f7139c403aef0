-- 0005: roster changes on top of the office TOML file (which stays the starting point).
-- A join request waits for the office's head; a head's removal is approved at once.
-- Only Telegram user ids and roles: no names or other personal data.
CREATE TABLE IF NOT EXISTS roster_changes (
    id INTEGER PRIMARY KEY,
    office_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by INTEGER NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by INTEGER,
    decided_at TEXT
);
CREATE INDEX IF NOT EXISTS roster_changes_status ON roster_changes (status, office_id, id);
-- at most one pending request per office, person and role
CREATE UNIQUE INDEX IF NOT EXISTS roster_changes_one_pending
    ON roster_changes (office_id, user_id, role) WHERE status = 'pending';
