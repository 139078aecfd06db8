//! `custos-recorder enroll`: a one-time code for a person's new device, and
//! the enrollment text (also shown as a QR code on phones) that carries the
//! recorder's address and certificate fingerprint with it.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::open_data_dir;
use crate::base::error::Result;
use custos_clock::Clock;

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

pub fn run(args: EnrollArgs, clock: Arc<dyn Clock>) -> Result<()> {
    let registers = open_data_dir(&args.data, &clock)?;
    let (person, payload) = registers.issue_enrollment_code(&args.person, args.valid_minutes)?;
    if args.quiet {
        println!("{}", payload.to_text());
    } else {
        println!("Enrollment code for {}: {}", person.name, payload.code);
        println!("Valid for {} minutes, for one device, once.", args.valid_minutes);
        println!("Paste this text into the app (or scan it as a QR code):");
        println!("{}", payload.to_text());
    }
    Ok(())
}
