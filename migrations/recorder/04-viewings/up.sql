-- Version 4: accompanied playback (registers/viewings.rs, footage/playback).
--
-- A nonce the recorder issued to an escort's tablet, consumed by the one
-- opening that names it: an opening is never replayed.
CREATE TABLE viewing_nonces (
    nonce     TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    issued_ms INTEGER NOT NULL
) STRICT;

-- One row per opened viewing session; the application is consumed with it
-- (the recorder's Viewing event is written in the same transaction).
CREATE TABLE viewing_sessions (
    id             TEXT PRIMARY KEY,      -- the Viewing's session, the logbook entry's key
    application    TEXT NOT NULL UNIQUE,
    device_id      TEXT NOT NULL,         -- the escort's tablet: the session is bound to it
    escort         TEXT NOT NULL,
    year           INTEGER NOT NULL,      -- the logbook document the entry is in
    opened_ms      INTEGER NOT NULL,
    ends_ms        INTEGER NOT NULL,      -- the time limit
    active_ms      INTEGER NOT NULL,      -- the last frame asked for (idle limit)
    logged_ms      INTEGER NOT NULL,      -- when the entry last had what was served
    closed_ms      INTEGER,
    ended_by       TEXT
) STRICT;

-- Each second of footage served, per camera, written before its first frame
-- is sent: a recorder killed mid-session still knows all it showed.
CREATE TABLE viewing_served (
    session   TEXT NOT NULL REFERENCES viewing_sessions(id),
    camera_id TEXT NOT NULL,
    second_ms INTEGER NOT NULL,
    frames    INTEGER NOT NULL,
    PRIMARY KEY (session, camera_id, second_ms)
) STRICT, WITHOUT ROWID;
