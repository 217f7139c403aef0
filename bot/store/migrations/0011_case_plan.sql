-- The case plan: the services a case receives, each running its own SOP instance; the
-- periodic review of the plan; the reason a case was closed (issue 12).

CREATE TABLE case_services (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ended')),
    instance_id INTEGER REFERENCES sop_instances(id) ON DELETE SET NULL,
    assignee_user_id INTEGER,
    added_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT
);
CREATE INDEX case_services_case ON case_services (case_id, status);
CREATE UNIQUE INDEX case_services_instance ON case_services (instance_id);

-- one row per open case whose plan is reviewed; `round` counts the reminders
CREATE TABLE case_reviews (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    due_at TEXT NOT NULL,
    round INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX case_reviews_due ON case_reviews (due_at);

ALTER TABLE cases ADD COLUMN close_reason TEXT;
