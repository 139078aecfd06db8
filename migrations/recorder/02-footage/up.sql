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

-- Retention looks for the oldest footage across cameras.
CREATE INDEX segments_by_start ON segments (start_ms);

-- Bytes and segments per camera, kept by triggers, so the disk check never
-- sums a year of rows.
CREATE TABLE footage_totals (
    camera_id TEXT PRIMARY KEY,
    bytes     INTEGER NOT NULL,
    segments  INTEGER NOT NULL
) STRICT;

CREATE TRIGGER segments_added AFTER INSERT ON segments BEGIN
    INSERT INTO footage_totals (camera_id, bytes, segments) VALUES (NEW.camera_id, NEW.bytes, 1)
    ON CONFLICT(camera_id) DO UPDATE SET bytes = bytes + NEW.bytes, segments = segments + 1;
END;

CREATE TRIGGER segments_removed AFTER DELETE ON segments BEGIN
    UPDATE footage_totals SET bytes = bytes - OLD.bytes, segments = segments - 1 WHERE camera_id = OLD.camera_id;
END;

CREATE TRIGGER segments_corrected AFTER UPDATE OF bytes ON segments BEGIN
    UPDATE footage_totals SET bytes = bytes - OLD.bytes + NEW.bytes WHERE camera_id = NEW.camera_id;
END;
