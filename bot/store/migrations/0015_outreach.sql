-- 0010: outreach (an urgent report paged to the office's on-call rota, acknowledged, visited),
-- referrals of a case to other institutions with the facts that come back and their dates
-- (hearings: reminded like mediation sessions), and the PKDRT temporary-protection deadline.
-- Personal data (where she is, how to reach her, report numbers, places) only encrypted.
CREATE TABLE IF NOT EXISTS outreach (
    id INTEGER PRIMARY KEY,
    office_id TEXT NOT NULL,
    draft_key TEXT NOT NULL UNIQUE,          -- the form's random draft id (links the case later)
    case_id INTEGER REFERENCES cases(id) ON DELETE CASCADE,
    opened_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'paging',   -- paging | acknowledged | unanswered | visited
    level INTEGER NOT NULL DEFAULT 0,        -- index into the escalation chain paged last
    paged TEXT NOT NULL DEFAULT '[]',        -- JSON list of the staff paged so far
    ack_due TEXT,                            -- wall-clock deadline of the current page
    acked_by INTEGER,
    acked_at TEXT,
    details_enc BLOB,                        -- where she is, how to reach her safely
    visited_at TEXT,
    team TEXT,                               -- JSON list of the staff on the visit
    outcome TEXT,                            -- safe | shelter | hospital | police | not_found
    visit_recorded_by INTEGER
);
CREATE INDEX IF NOT EXISTS outreach_due ON outreach (ack_due) WHERE ack_due IS NOT NULL;

CREATE TABLE IF NOT EXISTS referrals (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                      -- police | hospital | court | psychologist | ...
    companion_id INTEGER,                    -- the staff member who accompanies (reminded)
    status TEXT NOT NULL DEFAULT 'open',
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,                -- the last news (a fact or a date recorded)
    facts_enc BLOB NOT NULL,                 -- institution, report number, BAP, visum, verdict
    reported_at TEXT,                        -- report made to the police (PKDRT Pasal 16)
    protection_due TEXT,                     -- 1x24 hours after it, wall clock
    protection_requested_at TEXT
);
CREATE INDEX IF NOT EXISTS referrals_case ON referrals (case_id);
CREATE INDEX IF NOT EXISTS referrals_protection ON referrals (protection_due)
    WHERE protection_due IS NOT NULL AND protection_requested_at IS NULL;

CREATE TABLE IF NOT EXISTS referral_dates (
    id INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                      -- hearing | bap | visum | other
    scheduled_at TEXT NOT NULL,
    place_enc BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled', -- scheduled | held | cancelled
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS referral_dates_due ON referral_dates (status, scheduled_at);

-- temporary shelter (rumah aman): who stays is never shown in the staff group
CREATE TABLE IF NOT EXISTS shelter_stays (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    office_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'in',       -- in | discharged
    admitted_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,                   -- the maximum stay (wall clock)
    decided_by INTEGER NOT NULL,
    discharged_at TEXT,
    plan_enc BLOB                            -- safety plan and discharge plan (encrypted)
);
CREATE INDEX IF NOT EXISTS shelter_stays_office ON shelter_stays (office_id, status);
