//! `custos-recorder profile list|show|check`: the built-in policy profiles,
//! and checking a custom one before a site is set up with it.

use std::path::PathBuf;

use clap::Subcommand;
use custos_core::policy::PolicyProfile;
use custos_core::seeds::BUILTIN_PROFILES;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Lists the built-in profiles with their retention floor and ceiling.
    List,
    /// Prints a built-in profile as JSON: the starting point of a custom one.
    Show {
        /// kaohsiung-kindergarten, dahu-office or wanhua-household.
        id: String,
    },
    /// Checks a custom profile (JSON) and says what is wrong with it, if anything.
    Check {
        file: PathBuf,
        /// The site's retention floor in days, where the profile names none.
        #[arg(long)]
        floor_days: Option<u32>,
    },
}

pub fn run(cmd: ProfileCommand) -> Result<(), String> {
    match cmd {
        ProfileCommand::List => {
            for id in BUILTIN_PROFILES {
                let p = PolicyProfile::builtin(id).expect("built-in");
                let floor = p
                    .retention
                    .floor_days
                    .map_or("set by the site (--floor-days)".to_string(), |d| format!("{d} days"));
                println!(
                    "{id}\t{}\t{}\tfloor: {floor}, ceiling: {} days",
                    p.name_zh, p.name_en, p.retention.ceiling_days
                );
            }
            Ok(())
        }
        ProfileCommand::Show { id } => {
            let p = PolicyProfile::builtin(&id).ok_or_else(|| {
                format!(
                    "no built-in profile {id:?}; the built-ins are {}",
                    BUILTIN_PROFILES.join(", ")
                )
            })?;
            println!("{}", p.to_json());
            Ok(())
        }
        ProfileCommand::Check { file, floor_days } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let profile = PolicyProfile::from_json_strict(&text)
                .and_then(|p| p.with_floor(floor_days))
                .map_err(|e| format!("{}: {e}", file.display()))?;
            let retention = profile.effective_retention().map_err(|e| e.to_string())?;
            println!(
                "{}: valid; footage kept {} to {} days",
                profile.id, retention.floor_days, retention.ceiling_days
            );
            Ok(())
        }
    }
}
