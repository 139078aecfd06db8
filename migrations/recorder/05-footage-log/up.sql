-- Version 5: footage sealed as it is recorded (custos_core::footage_log).
--
-- One row per segment, written as the segment is indexed: its camera,
-- name, span, size and SHA-256, and a hash covering the row before it. A
-- row is never updated or deleted: footage destroyed by retention keeps its
-- row, and its destruction record says why the file is gone.
CREATE TABLE footage_log (
    seq           INTEGER PRIMARY KEY,   -- 1, 2, 3, ... without gaps
    camera_id     TEXT NOT NULL,
    start_ms      INTEGER NOT NULL,      -- the file's name
    real_start_ms INTEGER NOT NULL,
    real_end_ms   INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    sealed_ms     INTEGER NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    UNIQUE (camera_id, start_ms)
) STRICT;

-- Signed Merkle roots of the log (each also an audit row, `footage_checkpoint`,
-- which the audit chain's countersigned checkpoints then cover).
CREATE TABLE footage_checkpoints (
    tree_size  INTEGER PRIMARY KEY,
    root       TEXT NOT NULL,
    head_hash  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    signature  TEXT NOT NULL,
    -- The tree's complete subtrees as JSON [[leaves, hash], ...]: the next
    -- checkpoint pushes only the rows after this one (`audit verify`
    -- recomputes every root from the rows, so a forged frontier shows).
    frontier   TEXT NOT NULL
) STRICT;
