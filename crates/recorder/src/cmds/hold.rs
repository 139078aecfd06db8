//! `custos-recorder hold add|release|list`: holds for a case. A manager
//! places one for an agency's official letter or an investigation; only the
//! head (or the profile's delegate) releases one, here by name, recorded in
//! the audit chain. The recorder places the others itself (filing, viewing).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use custos_core::holds::{Hold, HoldBasis};
use custos_core::ids::CameraId;
use custos_core::permissions::{self, Access, Register};
use custos_core::time::{MinuteWindow, Timestamp};

use std::sync::Arc;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use custos_clock::Clock;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BasisArg {
    /// 公文: an agency's official letter asks to keep it.
    OfficialLetter,
    /// 調查犯罪及其他違法行為.
    Investigation,
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Places a hold on cameras over a time window.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long = "camera", required = true, num_args = 1..)]
        cameras: Vec<String>,
        /// Start, Taipei time: "YYYY-MM-DD HH:MM".
        #[arg(long)]
        from: String,
        /// End, Taipei time: "YYYY-MM-DD HH:MM".
        #[arg(long)]
        to: String,
        #[arg(long, value_enum)]
        basis: BasisArg,
        /// The law or decision that requires keeping it.
        #[arg(long)]
        legal_basis: String,
        /// The letter's 文號 or the case number.
        #[arg(long)]
        reference: String,
        /// Days until someone must decide whether it is still needed.
        #[arg(long, default_value_t = 90)]
        review_days: u32,
        /// The manager placing it.
        #[arg(long)]
        by: String,
    },
    /// Releases a hold in the name of the head or a delegate.
    Release {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        id: String,
        /// The head (or delegate) who decided the release.
        #[arg(long)]
        head: String,
        /// Why it is no longer needed.
        #[arg(long)]
        note: String,
    },
    /// Lists holds, in force and released.
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: HoldCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        HoldCommand::Add {
            data,
            cameras,
            from,
            to,
            basis,
            legal_basis,
            reference,
            review_days,
            by,
        } => {
            let registers = open_data_dir(&data, &clock)?;
            let site = registers.site()?;
            let profile = site.profile()?;
            let (person, who) = registers.find_person(&by)?;
            if !permissions::allows(&who.roles, Register::Holds, Access::Write, &profile) {
                return Err(RecorderError::Usage(format!(
                    "{by} is not a manager: only the designated staff place holds"
                )));
            }
            let cameras = cameras
                .iter()
                .map(|c| c.parse::<CameraId>())
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(unknown) = cameras.iter().find(|c| site.camera(c).is_none()) {
                return Err(RecorderError::Usage(format!("{unknown} is not a camera of this site")));
            }
            let now = clock.now();
            let window = MinuteWindow::new(
                Timestamp::parse_taipei_minute(&from)?,
                Timestamp::parse_taipei_minute(&to)?,
            )?;
            let hold = Hold {
                cameras,
                window,
                basis: match basis {
                    BasisArg::OfficialLetter => HoldBasis::OfficialLetter,
                    BasisArg::Investigation => HoldBasis::Investigation,
                },
                legal_basis: legal_basis.trim().into(),
                reference: reference.trim().into(),
                application: None,
                placed_at: now,
                placed_by: Some(person),
                review_at: now.plus_days(review_days),
            };
            hold.validate(&profile.effective_retention()?)?;
            let id = registers.write_blocking()?.place_hold(&hold, now)?;
            let d = hold.review_at.taipei_date();
            println!("Hold {id} placed; review it by {d}");
            Ok(())
        }
        HoldCommand::Release { data, id, head, note } => {
            let registers = open_data_dir(&data, &clock)?;
            registers
                .write_blocking()?
                .release_on_console(&id, &head, &note, clock.now())?;
            println!("Hold {id} released by {head}; the footage follows ordinary retention again.");
            Ok(())
        }
        HoldCommand::List { data, json } => {
            let holds = open_data_dir(&data, &clock)?.holds(clock.now())?;
            if json {
                let rows: Vec<serde_json::Value> = holds
                    .iter()
                    .map(|h| serde_json::json!({ "id": h.id, "active": h.in_force, "lapses_at": h.lapses_at.0, "hold": h.hold }))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).map_err(|e| RecorderError::Usage(e.to_string()))?
                );
            } else if holds.is_empty() {
                println!("No holds.");
            } else {
                for state in holds {
                    let (id, h, active) = (state.id, state.hold, state.in_force);
                    let cams: Vec<&str> = h.cameras.iter().map(|c| c.as_str()).collect();
                    let standing = if active {
                        format!("in force until {}", state.lapses_at.taipei_date())
                    } else {
                        "ended".to_string()
                    };
                    println!("{id}\t{standing}\t{:?}\t{}\t{}", h.basis, h.reference, cams.join(","));
                }
            }
            Ok(())
        }
    }
}
