-- 0023: MACs over the rest of what routes personal data (security review #5), and an id column
-- for the tables that had none (rotate-key pages by it on both stores, issue 14).
--
-- outbox.recipient_mac binds a queued message's recipient to its row (id, channel, kind, case);
-- cases.notify_mac binds whether and how the reporter may be contacted to the case (id, number);
-- person_handles.handle_mac binds a channel address to its person. Each is a keyed MAC
-- (HMAC-SHA256 with the integrity subkey of PPA_SECRET_KEY). Rows written before this migration
-- are signed once by the application at its first start after it (storemac_migration, while no
-- row carries such a MAC yet); an unsigned or failing row found later is refused.
ALTER TABLE outbox ADD COLUMN recipient_mac TEXT;
ALTER TABLE cases ADD COLUMN notify_mac TEXT;

CREATE TABLE person_handles_new (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    address_index TEXT NOT NULL,
    address_enc BLOB NOT NULL,
    handle_mac TEXT,
    UNIQUE (channel, address_index)
);
INSERT INTO person_handles_new (person_id, channel, address_index, address_enc)
    SELECT person_id, channel, address_index, address_enc FROM person_handles;
DROP TABLE person_handles;
ALTER TABLE person_handles_new RENAME TO person_handles;
CREATE INDEX person_handles_person ON person_handles (person_id, channel);

CREATE TABLE state_data_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user_data', 'chat_data')),
    key_index TEXT NOT NULL,
    key_enc BLOB NOT NULL,
    data_enc BLOB NOT NULL,
    UNIQUE (kind, key_index)
);
INSERT INTO state_data_new (kind, key_index, key_enc, data_enc)
    SELECT kind, key_index, key_enc, data_enc FROM state_data;
DROP TABLE state_data;
ALTER TABLE state_data_new RENAME TO state_data;

CREATE TABLE state_conversations_new (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_index TEXT NOT NULL,
    key_enc BLOB NOT NULL,
    state TEXT NOT NULL,
    UNIQUE (name, key_index)
);
INSERT INTO state_conversations_new (name, key_index, key_enc, state)
    SELECT name, key_index, key_enc, state FROM state_conversations;
DROP TABLE state_conversations;
ALTER TABLE state_conversations_new RENAME TO state_conversations;

CREATE TABLE storemac_migration (pending INTEGER NOT NULL);
INSERT INTO storemac_migration (pending)
    SELECT 1 WHERE EXISTS (SELECT 1 FROM cases) OR EXISTS (SELECT 1 FROM person_handles)
        OR EXISTS (SELECT 1 FROM outbox WHERE status = 'pending');
