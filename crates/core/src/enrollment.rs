//! The enrollment text a recorder prints (and shows as a QR code) and a
//! device reads: where the recorder is, which certificate it has, and the
//! one-time code. Shared so both sides agree on one format.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

const PREFIX: &str = "custos-enroll:";

/// What the enrollment text (or QR code) carries to the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentPayload {
    /// The recorder's address, e.g. `https://192.168.1.10:7443`.
    pub recorder: String,
    /// SHA-256 of the recorder's TLS certificate: the device accepts exactly this one.
    pub fingerprint: String,
    pub code: String,
}

impl EnrollmentPayload {
    pub fn to_text(&self) -> String {
        format!("{PREFIX}{}", serde_json::to_string(self).expect("payload serialises"))
    }

    /// Reads the text as pasted or scanned: surrounding space and line
    /// breaks are forgiven, anything else is an error saying what to do.
    pub fn parse(text: &str) -> Result<EnrollmentPayload, CoreError> {
        let bad = |why: &str| CoreError::invalid("enrollment text", why.to_string());
        let body = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("it must start with custos-enroll: — copy the whole text the recorder printed"))?;
        let payload: EnrollmentPayload = serde_json::from_str(body.trim())
            .map_err(|_| bad("it is cut short or changed — copy the whole text the recorder printed"))?;
        let fingerprint = payload.fingerprint.trim().to_ascii_lowercase().replace(':', "");
        if fingerprint.len() != 64 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("its certificate fingerprint is not a SHA-256 (64 hex digits)"));
        }
        let recorder = payload.recorder.trim().trim_end_matches('/').to_string();
        let host = recorder
            .strip_prefix("https://")
            .ok_or_else(|| bad("the recorder's address must start with https://"))?;
        if host.is_empty() || host.contains(['/', ' ', '?', '#', '@']) {
            return Err(bad("the recorder's address must be https://HOST:PORT"));
        }
        if payload.code.trim().is_empty() {
            return Err(bad("it has no enrollment code"));
        }
        Ok(EnrollmentPayload {
            recorder,
            fingerprint,
            code: payload.code.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> EnrollmentPayload {
        EnrollmentPayload {
            recorder: "https://192.168.1.10:7443".into(),
            fingerprint: "ab".repeat(32),
            code: "ABCD-EFGH-JKMN".into(),
        }
    }

    #[test]
    fn the_printed_text_reads_back_even_with_stray_space() {
        let text = format!("  {}\n", payload().to_text());
        assert_eq!(EnrollmentPayload::parse(&text).unwrap(), payload());
        let mut colons = payload();
        colons.fingerprint = "AB:".repeat(31) + "AB";
        colons.recorder.push('/');
        assert_eq!(EnrollmentPayload::parse(&colons.to_text()).unwrap(), payload());
    }

    #[test]
    fn damaged_text_says_what_is_wrong() {
        let text = payload().to_text();
        for (damaged, expected) in [
            (text.replace("custos-enroll:", ""), "start with custos-enroll:"),
            (text[..text.len() - 5].to_string(), "cut short"),
            (text.replace("https://", "http://"), "https://"),
            (text.replace(&"ab".repeat(32), "abc"), "SHA-256"),
            (text.replace("ABCD-EFGH-JKMN", " "), "no enrollment code"),
        ] {
            let err = EnrollmentPayload::parse(&damaged).unwrap_err().to_string();
            assert!(err.contains(expected), "{damaged}: {err}");
        }
    }
}
