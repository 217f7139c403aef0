-- 0007: need-to-know grants. The head of a case's office lets one more staff member read the
-- case's identity (details, letters). Only ids and times: no personal data. The grant goes
-- with the case (purge deletes by case_id); every grant is also in the audit log.
CREATE TABLE IF NOT EXISTS access_grants (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    granted_by INTEGER NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
