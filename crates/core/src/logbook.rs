//! 調閱登記簿 (001 附件2) / 影音應用紀錄簿 (004 附件4): the access logbook, one
//! document per year. The recorder writes each entry itself from what it
//! actually served; people only countersign (manager and supervisor).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{CameraId, EntryId, PersonId};
use crate::seal::content_hash;
use crate::terms::AccessKind;
use crate::time::{MinuteWindow, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LogbookEntry {
    /// The application the viewing was for.
    pub application: EntryId,
    /// 調閱日期: when the session opened and closed (recorder's clock).
    pub opened_at: Timestamp,
    pub closed_at: Timestamp,
    /// 申請人 and 調閱單位.
    pub applicant_name: String,
    pub unit: String,
    /// 調閱監錄資料時段、地點 / 監視器編號.
    pub cameras: Vec<CameraId>,
    pub window: MinuteWindow,
    /// 調閱原因摘要 / 案由.
    pub reason_summary: String,
    /// 系統操作承辦人: the escort.
    pub escort: PersonId,
    /// 資料處理方式: □調閱 □複製.
    pub handling: Vec<AccessKind>,
    /// Frames actually served, and the span of footage they came from.
    pub frames_served: u32,
    pub served_span: Option<MinuteWindow>,
    /// How the session ended (escort, idle, limit).
    pub ended_by: SessionEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SessionEnd {
    #[autosurgeon(rename = "escort")]
    Escort,
    #[autosurgeon(rename = "idle")]
    Idle,
    #[autosurgeon(rename = "limit")]
    Limit,
}

impl LogbookEntry {
    pub fn content_hash(&self) -> String {
        content_hash("custos/logbook/v1", self)
    }
}
