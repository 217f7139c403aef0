-- 0017: the WhatsApp channel (issue 15). Incoming webhook messages are committed to their own
-- inbox before Meta gets its 200 (a repeated delivery finds its key and is ignored); each
-- reporter's conversation state and the time of her last message (the 24-hour window) are
-- kept per person, encrypted. No phone number and no message id is stored in the clear:
-- the WhatsApp message id embeds the sender's number, so only its blind index is kept.
CREATE TABLE IF NOT EXISTS wa_inbox (
    id INTEGER PRIMARY KEY,
    message_key TEXT NOT NULL UNIQUE,        -- blind index of Meta's message id (wamid)
    received_at TEXT NOT NULL,
    payload_enc BLOB,                        -- the message, encrypted; dropped once handled
    status TEXT NOT NULL DEFAULT 'new',      -- new | done | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    done_at TEXT
);
CREATE INDEX IF NOT EXISTS wa_inbox_new ON wa_inbox (id) WHERE status = 'new';

CREATE TABLE IF NOT EXISTS wa_sessions (
    person_id INTEGER PRIMARY KEY,
    state_enc BLOB,                          -- the form in progress and choices, encrypted
    last_inbound_at TEXT,                    -- her last message: the 24-hour window starts here
    template_sent_at TEXT                    -- the "there is news" template, once per window
);

-- what Meta said about a sent message: sent | delivered | read | failed
ALTER TABLE outbox ADD COLUMN delivery TEXT;
CREATE INDEX IF NOT EXISTS outbox_provider ON outbox (channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
