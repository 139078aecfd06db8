//! `custos-recorder person add|revoke|list`: the people of the site and
//! their roles. A revocation takes effect on the next request of any of
//! their devices.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use custos_core::roles::Role;
use serde_json::json;

use std::sync::Arc;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use custos_clock::Clock;

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Adds a person with one or more roles.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        /// manager, inspector, supervisor, head, delegate, committee_staff,
        /// committee_parent, secretary or auditor (as the profile allows).
        #[arg(long = "role", required = true, num_args = 1..)]
        roles: Vec<String>,
        /// The person's unit (課室, 處室), where the profile's approval chain
        /// asks for the applicant's or the managing unit's supervisor.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Revokes a person and all their devices, at once.
    Revoke {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Lists the people, their roles and devices.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    data: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: PersonCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        PersonCommand::Add {
            data,
            name,
            roles,
            unit,
        } => {
            let roles = roles
                .iter()
                .flat_map(|r| r.split(','))
                .map(|r| r.trim().parse::<Role>())
                .collect::<Result<Vec<_>, _>>()?;
            let registers = open_data_dir(&data, &clock)?;
            let id = registers
                .write_blocking()?
                .add_person_of(&name, &roles, unit.as_deref(), clock.now())?;
            println!("Added {} ({id})", name.trim());
            println!(
                "Next: custos-recorder enroll --data {} --person {:?}",
                data.display(),
                name.trim()
            );
            Ok(())
        }
        PersonCommand::Revoke { data, name } => {
            let registers = open_data_dir(&data, &clock)?;
            let (id, devices) = registers.write_blocking()?.revoke_person(&name, clock.now())?;
            println!(
                "Revoked {name} ({id}) and {} device(s); they are refused from now on.",
                devices.len()
            );
            Ok(())
        }
        PersonCommand::List(args) => {
            let site = open_data_dir(&args.data, &clock)?.site()?;
            let rows: Vec<serde_json::Value> = site
                .people
                .iter()
                .map(|(id, p)| {
                    let devices: Vec<&str> = site
                        .devices
                        .iter()
                        .filter(|(_, d)| d.person.as_str() == id && d.revoked_at.is_none())
                        .map(|(d, _)| d.as_str())
                        .collect();
                    json!({
                        "id": id,
                        "name": p.name,
                        "roles": p.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                        "unit": p.unit,
                        "revoked": p.revoked_at.is_some(),
                        "devices": devices,
                    })
                })
                .collect();
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).map_err(|e| RecorderError::Usage(e.to_string()))?
                );
            } else if rows.is_empty() {
                println!(
                    "No people yet. Add one: custos-recorder person add --data {} --name NAME --role manager",
                    args.data.display()
                );
            } else {
                for r in rows {
                    let state = if r["revoked"] == true { "revoked" } else { "active" };
                    let roles: Vec<&str> = r["roles"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str())
                        .collect();
                    let devices = r["devices"].as_array().map_or(0, Vec::len);
                    println!(
                        "{}\t{}\t{}\t{}\t{state}\t{devices} device(s)",
                        r["id"].as_str().unwrap_or(""),
                        r["name"].as_str().unwrap_or(""),
                        roles.join(","),
                        r["unit"].as_str().unwrap_or("-")
                    );
                }
            }
            Ok(())
        }
    }
}
