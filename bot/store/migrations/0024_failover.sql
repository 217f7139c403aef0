-- 0024: leadership between instances on one PostgreSQL database (bot/store/leadership.py).
-- One row: the epoch (fencing token) the current leader took when it won the advisory lock,
-- and who it is (host and process id, nothing personal). Written on PostgreSQL only; on
-- SQLite one process runs per file (the lock file) and the row stays at epoch 0.
CREATE TABLE IF NOT EXISTS leadership (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL,
    holder TEXT,
    since TEXT
);
INSERT INTO leadership (id, epoch) VALUES (1, 0);
