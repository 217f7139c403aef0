-- 0020 on PostgreSQL: the roster's change counter (see ../0020_concur.sql), the triggers as a
-- PL/pgSQL function run once per statement that writes the roster.
CREATE TABLE IF NOT EXISTS roster_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO roster_version (id, n) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE FUNCTION roster_version_bump() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE roster_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END $fn$;
CREATE TRIGGER roster_version_write AFTER INSERT OR UPDATE OR DELETE ON roster
    FOR EACH STATEMENT EXECUTE FUNCTION roster_version_bump();
