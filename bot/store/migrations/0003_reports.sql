-- 0003: letters made from the DOCX templates (bot/reports) and their numbering.
-- The DOCX itself is personal data: stored only encrypted (AES-GCM, see bot/crypto.py).

CREATE TABLE letter_counters (
    office_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (office_id, kind, year)
);

CREATE TABLE letters (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    office_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    content_enc BLOB NOT NULL
);
CREATE INDEX letters_case ON letters (case_id, id);
