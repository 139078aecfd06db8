-- Version 2: the footage index. One row per finished segment; the file's
-- path is derived from the camera and the nominal start, never stored.
CREATE TABLE segments (
    camera_id     TEXT NOT NULL,
    start_ms      INTEGER NOT NULL,  -- nominal start: the time in the file name (UTC)
    real_start_ms INTEGER NOT NULL,  -- the media's real start and end, recorder clock
    real_end_ms   INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    PRIMARY KEY (camera_id, start_ms)
) STRICT, WITHOUT ROWID;
