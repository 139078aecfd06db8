//! `POST /v1/enroll`: a device's one-time code and public key in, who it now
//! belongs to out.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The code shown on the recorder's console (`custos-recorder enroll`).
    pub code: String,
    /// The device's Ed25519 public key, 32 bytes in hex.
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EnrollResponse {
    pub device_id: String,
    pub person_id: String,
    pub person_name: String,
    pub roles: Vec<String>,
    pub site_name: String,
    pub profile_id: String,
    /// The recorder's own Ed25519 public key (hex): it signs audit checkpoints.
    pub recorder_public_key: String,
}
