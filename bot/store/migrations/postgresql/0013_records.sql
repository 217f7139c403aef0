-- 0013 for PostgreSQL: the SQLite migration (bot/store/migrations/0013_records.sql) with
-- its JSON functions in PostgreSQL's words (json_each, json_group_array are SQLite's).
-- Keep the two in step: tests/unit/test_pg_sql.py checks they differ only there.
CREATE TABLE case_victims (
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    ord BIGINT NOT NULL,
    sex TEXT NOT NULL DEFAULT 'unknown',
    age_group TEXT NOT NULL DEFAULT 'unknown',
    education TEXT NOT NULL DEFAULT 'unknown',
    marital TEXT NOT NULL DEFAULT 'unknown',
    occupation TEXT NOT NULL DEFAULT 'unknown',
    disability TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (case_id, ord)
);

CREATE TABLE case_parties (
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    ord BIGINT NOT NULL,
    relation TEXT NOT NULL DEFAULT 'unknown',
    sex TEXT NOT NULL DEFAULT 'unknown',
    age_group TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (case_id, ord)
);

ALTER TABLE cases ADD COLUMN place TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE cases ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN services_given TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN reporter_child BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN consent_route TEXT NOT NULL DEFAULT 'reporter';

INSERT INTO case_victims (case_id, ord, sex, age_group, disability)
SELECT id, 1, victim_sex, victim_age_group, CASE disability WHEN 1 THEN 'ya' ELSE 'tidak' END
FROM cases;

INSERT INTO case_parties (case_id, ord, relation)
SELECT id, 1, relation FROM cases;

UPDATE cases SET place = 'rumah_tangga'
WHERE categories::jsonb @> '["domestic"]';

UPDATE cases SET categories = (
    SELECT COALESCE(json_agg(value ORDER BY n), '[]'::json)::text
    FROM json_array_elements_text(cases.categories::json) WITH ORDINALITY AS t(value, n)
    WHERE value != 'domestic'
)
WHERE categories::jsonb @> '["domestic"]';

UPDATE cases SET consent_route = CASE
    WHEN relation IN ('parent', 'step_parent', 'guardian') THEN 'child_protection'
    ELSE 'guardian' END
WHERE child_victim = 1;
