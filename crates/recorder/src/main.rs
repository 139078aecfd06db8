//! `custos-recorder`: the site recorder daemon and its console commands.
//! One module per subcommand under `cmds/` (DESIGN §3, after Moonfire NVR).

mod cmds;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "custos-recorder",
    version,
    about = "Custos site recorder: registers, footage, retention, accompanied playback"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Policy profiles: the rules of the regulation a site follows.
    #[command(subcommand)]
    Profile(cmds::profile::ProfileCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Profile(cmd) => cmds::profile::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("custos-recorder: {message}");
            ExitCode::FAILURE
        }
    }
}
