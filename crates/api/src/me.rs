//! `GET /v1/me`: who a device signs in as, and what it may receive.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub person_id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub device_id: String,
    /// Keys of the stored documents this device may receive.
    pub documents: Vec<String>,
}
