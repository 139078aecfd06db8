-- The recorder's database, version 1: the register documents, enrollment,
-- device sessions and the audit chain. Footage arrives in a later version.

-- Settings of this site recorder (site name, certificate fingerprint, address).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Each register document, saved whole by automerge (the copy of record).
CREATE TABLE documents (
    key        TEXT PRIMARY KEY,   -- e.g. site, inspections/2026-11
    bytes      BLOB NOT NULL,
    updated_at INTEGER NOT NULL,   -- ms since the epoch, recorder clock
    version    INTEGER NOT NULL DEFAULT 1  -- +1 on every save: the change stream watches it
) STRICT;

-- One-time enrollment codes; only their SHA-256 is kept.
CREATE TABLE enrollment_codes (
    code_hash  TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT
) STRICT;

-- Challenges a device answers with its key to get a token.
CREATE TABLE auth_challenges (
    nonce      TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Short-lived bearer tokens; only their SHA-256 is kept.
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- The hash-chained audit log: append only (see custos_core::audit).
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

-- Checkpoints of the chain signed with the site key.
CREATE TABLE audit_checkpoints (
    tree_size INTEGER PRIMARY KEY,
    head_hash TEXT NOT NULL,
    at        INTEGER NOT NULL,
    signature TEXT NOT NULL
) STRICT;

-- Content-addressed blobs (fault photos, scanned attachments) by SHA-256.
CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY,   -- SHA-256 of the bytes, lower-case hex
    media_type  TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,      -- device id
    uploaded_at INTEGER NOT NULL
) STRICT;

-- Changes appended to a document since its last full save (automerge
-- incremental chunks), so a push writes what it added, not the whole document.
-- Compacted into documents.bytes from time to time.
CREATE TABLE document_changes (
    key   TEXT NOT NULL REFERENCES documents(key),
    seq   INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (key, seq)
) STRICT;
