-- 0021 on PostgreSQL: evidence moves to the encrypted file store (see ../0021_evidence.sql);
-- PostgreSQL drops the NOT NULL in place, so the table keeps its identity sequence.
ALTER TABLE evidence ALTER COLUMN content_enc DROP NOT NULL;
ALTER TABLE evidence ADD COLUMN file_ref TEXT;
ALTER TABLE evidence ADD COLUMN digest TEXT;
ALTER TABLE evidence ADD CONSTRAINT evidence_stored CHECK (content_enc IS NOT NULL OR file_ref IS NOT NULL);
CREATE INDEX evidence_case ON evidence (case_id);
CREATE UNIQUE INDEX evidence_file ON evidence (file_ref) WHERE file_ref IS NOT NULL;
