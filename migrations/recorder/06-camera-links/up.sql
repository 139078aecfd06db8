-- Version 6: the recording process's last problem with each camera's
-- stream (custos_api::cameras::LinkProblemKind, snake_case), for health to
-- say why a camera is not recording. One row a camera, replaced at each
-- failure; health shows it only while the camera is not recording and the
-- problem is recent (the recording process retries at least every 30 s).
CREATE TABLE camera_links (
    camera_id TEXT PRIMARY KEY,
    problem   TEXT NOT NULL,
    at_ms     INTEGER NOT NULL
) STRICT;
