-- 0017: a change counter of the roster, so that each update reads one number instead of the
-- whole roster (the roster is read again only when the number moved). Triggers count every
-- write, whoever makes it (this process, another one, an administrator's SQL).
CREATE TABLE IF NOT EXISTS roster_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT OR IGNORE INTO roster_version (id, n) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS roster_version_insert AFTER INSERT ON roster
BEGIN
    UPDATE roster_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS roster_version_update AFTER UPDATE ON roster
BEGIN
    UPDATE roster_version SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS roster_version_delete AFTER DELETE ON roster
BEGIN
    UPDATE roster_version SET n = n + 1 WHERE id = 1;
END;
