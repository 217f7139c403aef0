-- 0021: evidence moves out of the database into the encrypted file store
-- (bot/store/evidence_files.py). A row keeps the file's random name (file_ref), its size, the
-- type found from its content, and a keyed digest; content_enc stays only for rows written
-- before, until the first start moves them to files (bot/services/evidence_migration.py).
-- SQLite cannot drop a NOT NULL: the table is rebuilt with the same ids.
CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    content_enc BLOB,
    item_no INTEGER,
    file_ref TEXT,
    digest TEXT,
    CHECK (content_enc IS NOT NULL OR file_ref IS NOT NULL)
);
INSERT INTO evidence_files (id, case_id, kind, mime, size, created_at, content_enc, item_no)
    SELECT id, case_id, kind, mime, size, created_at, content_enc, item_no FROM evidence;
DROP TABLE evidence;
ALTER TABLE evidence_files RENAME TO evidence;
CREATE INDEX evidence_case ON evidence (case_id);
CREATE UNIQUE INDEX evidence_item ON evidence (case_id, item_no) WHERE item_no IS NOT NULL;
CREATE UNIQUE INDEX evidence_file ON evidence (file_ref) WHERE file_ref IS NOT NULL;
