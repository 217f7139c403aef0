-- 0025: the inbox's index holds only the updates still to handle. A handled update keeps its
-- row (its id: duplicates stay ignored, the poll offset is known) but no longer an index
-- entry, so committing an update writes one page fewer.
DROP INDEX inbox_status;
CREATE INDEX inbox_pending ON inbox (update_id) WHERE status = 'new';
