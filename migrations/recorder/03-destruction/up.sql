-- Version 3: a retention sweep that fits in a few milliseconds.
--
-- Deleting a day of 32 cameras (46,080 rows) out of a year's index cost
-- ~70 ms with a trigger firing per row and a second index to maintain;
-- deleting it as one key range per camera costs ~8 ms. The sweep now
-- deletes ranges and subtracts each range's bytes from footage_totals
-- itself, and finds the oldest footage per camera through the primary key.
DROP TRIGGER segments_removed;
DROP INDEX segments_by_start;

-- Footage taken out of the index whose files are still to be unlinked.
-- Written in the transaction that removes the rows; cleared once the files
-- are gone. A file a crash left behind inside a span is finished off at
-- start-up rather than reported as footage nobody indexed.
CREATE TABLE files_to_unlink (
    camera_id TEXT NOT NULL,
    first_ms  INTEGER NOT NULL,  -- nominal starts, both inclusive
    last_ms   INTEGER NOT NULL,
    PRIMARY KEY (camera_id, first_ms)
) STRICT, WITHOUT ROWID;
