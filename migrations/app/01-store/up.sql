-- The app's local store, version 1: every document this device may read,
-- the changes made here that the recorder has not accepted yet, photos, and
-- settings. Every edit is saved before the command that made it returns.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Each document: its last full save plus the incremental chunks since.
CREATE TABLE documents (
    key        TEXT PRIMARY KEY,
    bytes      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE document_changes (
    key   TEXT NOT NULL REFERENCES documents(key),
    seq   INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (key, seq)
) STRICT;

-- The automerge sync state per document (its persistent part).
CREATE TABLE sync_states (
    key   TEXT PRIMARY KEY,
    state BLOB NOT NULL
) STRICT;

-- Changes made on this device that the recorder has not accepted. A refused
-- one stays, with the recorder's rule and reason, until the person sees it.
CREATE TABLE outbox (
    hash            TEXT PRIMARY KEY,
    key             TEXT NOT NULL,
    bytes           BLOB NOT NULL,
    made_at         INTEGER NOT NULL,
    refused_rule    TEXT,
    refused_message TEXT
) STRICT;

-- Fault photos, processed, waiting to be uploaded or kept as uploaded.
CREATE TABLE blobs (
    hash      TEXT PRIMARY KEY,
    jpeg      BLOB NOT NULL,
    thumbnail BLOB NOT NULL,
    uploaded  INTEGER NOT NULL DEFAULT 0
) STRICT;
