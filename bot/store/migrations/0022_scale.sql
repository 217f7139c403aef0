-- 0022: when the sweep next has something to do for an open step or an SOP instance
-- ("remind_at", ISO UTC as every time here), so that each sweep reads only the rows due
-- (an index range) instead of looking at every open step of every case.
-- The stores set it to "look at it now" whenever a step opens, resumes or its due time
-- moves (and clear it when it ends); the sweep, having queued what was due, sets it to the
-- next reminder's time, or NULL when nothing more will come. Existing open steps and
-- instances are looked at once by the first sweep after this migration.
ALTER TABLE steps ADD COLUMN remind_at TEXT;
UPDATE steps SET remind_at = '1970-01-01T00:00:00+00:00'
    WHERE status = 'open' AND due_at IS NOT NULL;
CREATE INDEX steps_remind ON steps (remind_at);

ALTER TABLE sop_instances ADD COLUMN remind_at TEXT;
UPDATE sop_instances SET remind_at = '1970-01-01T00:00:00+00:00' WHERE status = 'open';
CREATE INDEX sop_instances_remind ON sop_instances (sop_key, remind_at);
