//! Who may read and write what, applied to documents: which documents a
//! device receives ([`may_read`], need-to-know), and the check of every
//! pushed batch of changes ([`check_upload`]): automerge has no access
//! control, so this is where a change the sender's role does not allow is
//! refused, with the rule it broke, before anything stored changes. The
//! roles themselves come from the one table in `permissions`.

mod operations;
mod read;
mod refusal;
mod upload;

pub use operations::entries_written_by;
pub use read::{blobs_referenced, may_read, may_read_case};
pub use refusal::Refusal;
pub use upload::{UploadContext, check_upload};
