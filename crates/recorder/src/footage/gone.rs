//! 001 §6(3): footage is applied for while it is still kept. A case filed
//! (or amended to another window or cameras) for a window whose footage
//! has gone on every camera it names (retention destroyed it: the window
//! ends before each camera's oldest footage kept) is refused, saying what
//! is still kept. Where a camera has no footage at all (a site that has
//! not recorded yet) nothing can be told, and the case is taken.

use custos_core::application::ApplicationCase;
use custos_core::time::Timestamp;

use crate::base::error::Result;
use crate::db::store::Store;

/// Why `case`'s footage can no longer be viewed, if it cannot.
pub fn footage_gone(store: &Store, case: &ApplicationCase) -> Result<Option<String>> {
    let mut oldest_kept: Vec<(String, i64)> = Vec::with_capacity(case.cameras.len());
    for camera in &case.cameras {
        match store.oldest_segment(camera.as_str())? {
            Some(oldest) if oldest.real_start_ms >= case.window.end.0 => {
                oldest_kept.push((camera.to_string(), oldest.real_start_ms))
            }
            // Still kept, at least in part; or nothing recorded to tell by.
            _ => return Ok(None),
        }
    }
    let kept: Vec<String> = oldest_kept
        .iter()
        .map(|(camera, from)| format!("{camera} from {}", Timestamp(*from).taipei_minute()))
        .collect();
    Ok(Some(format!(
        "the footage of this window is no longer kept on any camera it names (001 §6(3)); what is kept: {}",
        kept.join(", ")
    )))
}
