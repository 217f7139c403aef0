-- 0002: the SOP runtime: instances, steps and their events, mediation parties, mediations.
-- Personal data lives only in *_enc columns (AES-GCM, see bot/crypto.py); times are ISO UTC.

CREATE TABLE sop_instances (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    sop_key TEXT NOT NULL,
    service TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    parent_instance_id INTEGER REFERENCES sop_instances(id) ON DELETE CASCADE,
    parent_step_id INTEGER
);
CREATE INDEX sop_instances_case ON sop_instances (case_id, status);

-- status 'waiting': the step `runs` a sub-SOP and becomes 'open' when that one ends.
-- role: the step's acting roles, comma separated (e.g. 'admin,ketua').
CREATE TABLE steps (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES sop_instances(id) ON DELETE CASCADE,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step_key TEXT NOT NULL,
    title TEXT NOT NULL,
    role TEXT NOT NULL,
    assignee_user_id INTEGER,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('waiting', 'open', 'done', 'cancelled')),
    opened_at TEXT NOT NULL,
    due_at TEXT,
    urgent INTEGER NOT NULL DEFAULT 0,
    outcome TEXT,
    completed_by INTEGER,
    completed_at TEXT,
    extended_count INTEGER NOT NULL DEFAULT 0,
    report_enc BLOB,
    file_enc BLOB,
    file_mime TEXT,
    file_size INTEGER
);
CREATE INDEX steps_open_due ON steps (status, due_at);
CREATE INDEX steps_open_assignee ON steps (assignee_user_id, status, due_at);
CREATE INDEX steps_case ON steps (case_id, status);
CREATE INDEX steps_instance ON steps (instance_id);

CREATE TABLE step_events (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX step_events_step ON step_events (step_id, id);

CREATE TABLE mediation_parties (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    is_child INTEGER NOT NULL DEFAULT 0,
    has_special_needs INTEGER NOT NULL DEFAULT 0,
    guardian_present INTEGER NOT NULL DEFAULT 0,
    special_companion_present INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mediation_parties_case ON mediation_parties (case_id);

CREATE TABLE mediations (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
    scheduled_at TEXT NOT NULL,
    location_enc BLOB NOT NULL,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'held', 'cancelled'))
);
CREATE INDEX mediations_due ON mediations (status, scheduled_at);
