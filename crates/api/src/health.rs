//! `GET /v1/health`: for monitoring, and for a device checking that it
//! reached the right recorder.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// The site's name, as on its forms.
    pub site: String,
    pub version: String,
}
