-- 0004: the reminder log: each reminder, overdue alert, escalation and digest recorded once.
-- subject: 'step:<id>', 'mediation:<id>@<scheduled_at>' or 'office:<id>:<YYYY-MM-DD>';
-- round: a step's extension count (an extended step is reminded again); no personal data.
CREATE TABLE IF NOT EXISTS reminder_log (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    step_id INTEGER REFERENCES steps(id) ON DELETE CASCADE,
    mediation_id INTEGER REFERENCES mediations(id) ON DELETE CASCADE,
    office_id TEXT,
    day TEXT,
    due_at TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    UNIQUE (subject, kind, round)
);
CREATE INDEX IF NOT EXISTS reminder_log_office ON reminder_log (office_id, kind, day);
