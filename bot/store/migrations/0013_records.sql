-- 0010: SIMFONI-PPA-ready records (bot/domain/simfoni.py has the vocabulary).
-- Several victims and several reported parties per case, statistics only (plain columns, as
-- the case's own statistics): names and exact ages stay in the case's encrypted details.
-- The case gains its place category, the region below the city, the services given in
-- SIMFONI's categories, and for a child: who reported (a child or not) and whose consent the
-- staff seek (reporter, guardian = a parent or guardian who is not the reported party,
-- child_protection = the state's child-protection route).
CREATE TABLE case_victims (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    sex TEXT NOT NULL DEFAULT 'unknown',
    age_group TEXT NOT NULL DEFAULT 'unknown',
    education TEXT NOT NULL DEFAULT 'unknown',
    marital TEXT NOT NULL DEFAULT 'unknown',
    occupation TEXT NOT NULL DEFAULT 'unknown',
    disability TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (case_id, ord)
);

CREATE TABLE case_parties (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    relation TEXT NOT NULL DEFAULT 'unknown',
    sex TEXT NOT NULL DEFAULT 'unknown',
    age_group TEXT NOT NULL DEFAULT 'unknown',
    PRIMARY KEY (case_id, ord)
);

ALTER TABLE cases ADD COLUMN place TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE cases ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN services_given TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN reporter_child INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN consent_route TEXT NOT NULL DEFAULT 'reporter';

-- existing cases: their one victim and one reported party
INSERT INTO case_victims (case_id, ord, sex, age_group, disability)
SELECT id, 1, victim_sex, victim_age_group, CASE disability WHEN 1 THEN 'ya' ELSE 'tidak' END
FROM cases;

INSERT INTO case_parties (case_id, ord, relation)
SELECT id, 1, relation FROM cases;

-- "domestic violence" was offered as a type; in SIMFONI it is a place (rumah tangga)
UPDATE cases SET place = 'rumah_tangga'
WHERE EXISTS (SELECT 1 FROM json_each(cases.categories) WHERE value = 'domestic');

UPDATE cases SET categories = (
    SELECT json_group_array(value) FROM json_each(cases.categories) WHERE value != 'domestic'
)
WHERE EXISTS (SELECT 1 FROM json_each(cases.categories) WHERE value = 'domestic');

-- a child victim: consent goes through a guardian, or the child-protection route when the
-- reported party is the parent or guardian (the intake recorded the latter in the details)
UPDATE cases SET consent_route = CASE
    WHEN relation IN ('parent', 'step_parent', 'guardian') THEN 'child_protection'
    ELSE 'guardian' END
WHERE child_victim = 1;
