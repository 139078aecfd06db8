//! The recording process's last problem with each camera's stream
//! (`camera_links`), which health shows beside a camera not recording.

use std::collections::HashMap;

use custos_api::cameras::{LinkProblem, LinkProblemKind};
use rusqlite::params;

use super::store::Store;
use crate::base::error::Result;

/// The kind as stored: its API name.
fn kind_name(kind: LinkProblemKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Store {
    /// Records that `camera`'s stream failed with `kind` at `at_ms`.
    pub fn set_camera_link_problem(&self, camera: &str, kind: LinkProblemKind, at_ms: i64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO camera_links (camera_id, problem, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(camera_id) DO UPDATE SET problem = excluded.problem, at_ms = excluded.at_ms",
            params![camera, kind_name(kind), at_ms],
        )?;
        Ok(())
    }

    /// Each camera's last problem, by camera id.
    pub fn camera_link_problems(&self) -> Result<HashMap<String, LinkProblem>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT camera_id, problem, at_ms FROM camera_links")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(camera, problem, at_ms)| {
                let kind = serde_json::from_value(serde_json::Value::String(problem)).ok()?;
                Some((camera, LinkProblem { kind, at_ms }))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_problem_of_each_camera_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        assert!(store.camera_link_problems().unwrap().is_empty());
        store
            .set_camera_link_problem("cam-01", LinkProblemKind::Unreachable, 1_000)
            .unwrap();
        store
            .set_camera_link_problem("cam-02", LinkProblemKind::NoPicture, 2_000)
            .unwrap();
        store
            .set_camera_link_problem("cam-01", LinkProblemKind::TooManyBytes, 3_000)
            .unwrap();
        let problems = store.camera_link_problems().unwrap();
        assert_eq!(problems.len(), 2);
        assert_eq!(
            problems["cam-01"],
            LinkProblem {
                kind: LinkProblemKind::TooManyBytes,
                at_ms: 3_000
            }
        );
        assert_eq!(problems["cam-02"].kind, LinkProblemKind::NoPicture);
    }
}
