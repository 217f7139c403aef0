-- 0009: a staff group's new address after Telegram moved it (a group that became a supergroup
-- gets a new chat id). Read before the office file's staff_chat_id, until the file is updated.
-- Group ids only: no personal data.
CREATE TABLE IF NOT EXISTS group_addresses (
    office_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    old_address TEXT,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (office_id, channel)
);
