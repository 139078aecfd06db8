//! `custos-recorder site show|hours`: the site's settings; opening hours
//! decide when a camera outage is an alarm (recording must be continuous
//! while the site is open).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use custos_core::hours::OpeningHours;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use custos_clock::Clock;

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Prints the site's name, profile and opening hours.
    Show {
        #[arg(long)]
        data: PathBuf,
    },
    /// Sets the opening hours, Taipei time: `mon-fri 07:00-18:00; sat 08:00-12:00`,
    /// or `always` (every outage is an alarm).
    Hours {
        #[arg(long)]
        data: PathBuf,
        hours: String,
    },
}

pub fn run(cmd: SiteCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        SiteCommand::Show { data } => {
            let site = open_data_dir(&data, &clock)?.site()?;
            let profile = site.profile().map_err(|e| RecorderError::Usage(e.to_string()))?;
            println!("site\t{}", site.site.name);
            println!("profile\t{}", profile.id);
            println!("opening hours\t{}", site.site.opening_hours.describe());
            Ok(())
        }
        SiteCommand::Hours { data, hours } => {
            let parsed = OpeningHours::parse(&hours).map_err(|e| RecorderError::Usage(e.to_string()))?;
            let registers = open_data_dir(&data, &clock)?;
            registers.write_blocking()?.set_opening_hours(&parsed, clock.now())?;
            println!("opening hours: {}", parsed.describe());
            Ok(())
        }
    }
}
