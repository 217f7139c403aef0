-- 0010: persons inside the system, each with a handle per channel.
--
-- Every column that held a Telegram user id (steps, roster, roster_changes, access_grants,
-- letters, mediations, cases.taken_by/recorded_by) holds a person id from here on. The handle
-- is stored encrypted (address_enc) and looked up by a keyed blind index (address_index), so
-- the database alone does not tell who a person is on Telegram. Converting the ids of an
-- existing database needs the key: the row in person_migration asks the application to do it
-- at its next start (bot/services/persons.py adopt_legacy_ids), in one transaction.
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE person_handles (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    address_index TEXT NOT NULL,
    address_enc BLOB NOT NULL,
    PRIMARY KEY (channel, address_index)
);
CREATE INDEX person_handles_person ON person_handles (person_id, channel);
CREATE TABLE person_migration (pending INTEGER NOT NULL);
INSERT INTO person_migration (pending)
    SELECT 1 WHERE EXISTS (SELECT 1 FROM steps) OR EXISTS (SELECT 1 FROM roster_changes)
        OR EXISTS (SELECT 1 FROM cases WHERE taken_by IS NOT NULL OR recorded_by IS NOT NULL)
        OR EXISTS (SELECT 1 FROM access_grants) OR EXISTS (SELECT 1 FROM letters);
