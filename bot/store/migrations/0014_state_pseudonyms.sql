-- 0014: PTB's user data, chat data and conversation states keyed by a blind index.
--
-- The old tables keyed these rows by the Telegram user and chat id in the clear. The new ones
-- keep the id encrypted (key_enc, read back when the bot starts) and look it up by a keyed
-- HMAC (key_index). Rows of the old tables are moved over by the persistence on its first
-- load, with the key (bot/channels/telegram/persistence.py); the old tables then stay empty.
CREATE TABLE state_data (
    kind TEXT NOT NULL CHECK (kind IN ('user_data', 'chat_data')),
    key_index TEXT NOT NULL,
    key_enc BLOB NOT NULL,
    data_enc BLOB NOT NULL,
    PRIMARY KEY (kind, key_index)
);
CREATE TABLE state_conversations (
    name TEXT NOT NULL,
    key_index TEXT NOT NULL,
    key_enc BLOB NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key_index)
);
