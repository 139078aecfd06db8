//! `custos-recorder enroll`: a one-time code for a person's new device, and
//! the enrollment text (also shown as a QR code on phones) that carries the
//! recorder's address and certificate fingerprint with it.

use std::path::PathBuf;

use clap::Args;
use custos_core::time::{MINUTE_MS, Timestamp};
use serde_json::json;

use super::open_data_dir;
use crate::clock::Clock;
use crate::enrollment::{EnrollmentPayload, code_hash, new_code};
use crate::error::{RecorderError, Result};
use crate::registry::Registry;
use crate::store::AuditEvent;

#[derive(Debug, Args)]
pub struct EnrollArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// The person whose device is being enrolled.
    #[arg(long)]
    pub person: String,
    /// Minutes the code stays valid.
    #[arg(long, default_value_t = 15)]
    pub valid_minutes: u32,
    /// Print only the enrollment text (for scripts).
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: EnrollArgs, clock: &dyn Clock) -> Result<()> {
    if args.valid_minutes == 0 || args.valid_minutes > 24 * 60 {
        return Err(RecorderError::Usage(
            "--valid-minutes must be between 1 and 1440".into(),
        ));
    }
    let (store, key) = open_data_dir(&args.data)?;
    let (person_id, person) = Registry {
        store: &store,
        site_key: &key,
    }
    .find_person(&args.person)?;
    let now = clock.now();
    let expires = Timestamp(now.0 + i64::from(args.valid_minutes) * MINUTE_MS);
    let code = new_code();
    store.insert_enrollment_code(&code_hash(&code), person_id.as_str(), now, expires)?;
    let detail = json!({ "person": person_id.as_str(), "expires_at": expires.0 });
    store.append_audit(
        now,
        AuditEvent {
            kind: "enrollment_code_issued",
            actor: "console",
            detail,
        },
    )?;
    let payload = EnrollmentPayload {
        recorder: store.setting("address")?.unwrap_or_default(),
        fingerprint: store.setting("fingerprint")?.unwrap_or_default(),
        code: code.clone(),
    };
    if args.quiet {
        println!("{}", payload.to_text());
    } else {
        println!("Enrollment code for {}: {code}", person.name);
        println!("Valid for {} minutes, for one device, once.", args.valid_minutes);
        println!("Paste this text into the app (or scan it as a QR code):");
        println!("{}", payload.to_text());
    }
    Ok(())
}
