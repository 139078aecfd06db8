//! `custos-recorder`: the site recorder daemon and its console commands.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use custos_clock::{Clock, SimulatedClock, SystemClock};
use custos_recorder::cmds;

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
    /// Makes a new data directory: database, site key, TLS certificate, site register.
    Init(cmds::init::InitArgs),
    /// Serves the HTTPS API (and starts `ingest`, which records the cameras).
    Serve(cmds::serve::ServeArgs),
    /// Records the cameras: started and watched by `serve`, so that a crash
    /// of the API stops no camera.
    Ingest(cmds::ingest::IngestArgs),
    /// The people of the site and their roles.
    #[command(subcommand)]
    Person(cmds::person::PersonCommand),
    /// The cameras of the site.
    #[command(subcommand)]
    Camera(cmds::camera::CameraCommand),
    /// The recorded footage.
    #[command(subcommand)]
    Footage(cmds::footage::FootageCommand),
    /// Holds that keep footage for a case.
    #[command(subcommand)]
    Hold(cmds::hold::HoldCommand),
    /// Retention of footage: floor, ceiling, disk.
    #[command(subcommand)]
    Retention(cmds::retention::RetentionCommand),
    /// Makes a one-time enrollment code for a person's device.
    Enroll(cmds::enroll::EnrollArgs),
    /// The audit chain.
    #[command(subcommand)]
    Audit(cmds::audit::AuditCommand),
    /// 複製 for a public agency: writes a signed export of approved footage
    /// to a disk on this machine, and checks one anywhere.
    #[command(subcommand)]
    Export(cmds::export::ExportCommand),
    /// Policy profiles: the rules of the regulation a site follows.
    #[command(subcommand)]
    Profile(cmds::profile::ProfileCommand),
    /// The site's settings: opening hours.
    #[command(subcommand)]
    Site(cmds::site::SiteCommand),
}

/// The system's clock; in a test build (feature `simulated-clock`) a
/// simulated one starting at `CUSTOS_SIMULATED_NOW` (ms) when it is set, so
/// a test can run the recorder at a chosen time and move it.
fn clock() -> (Arc<dyn Clock>, Option<SimulatedClock>) {
    #[cfg(feature = "simulated-clock")]
    if let Some(start) = std::env::var("CUSTOS_SIMULATED_NOW").ok().and_then(|v| v.parse().ok()) {
        let simulated = SimulatedClock::new(custos_core::time::Timestamp(start));
        return (Arc::new(simulated.clone()), Some(simulated));
    }
    (Arc::new(SystemClock), None)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CUSTOS_LOG")
                .unwrap_or_else(|_| "warn,custos_recorder=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let (clock, simulated) = clock();
    let result = match cli.command {
        Command::Init(args) => cmds::init::run(args, clock),
        Command::Serve(args) => cmds::serve::run(args, clock, simulated),
        Command::Ingest(args) => cmds::ingest::run(args, clock),
        Command::Person(cmd) => cmds::person::run(cmd, clock),
        Command::Camera(cmd) => cmds::camera::run(cmd, clock),
        Command::Footage(cmd) => cmds::footage::run(cmd, clock),
        Command::Hold(cmd) => cmds::hold::run(cmd, clock),
        Command::Retention(cmd) => cmds::retention::run(cmd, clock),
        Command::Enroll(args) => cmds::enroll::run(args, clock),
        Command::Audit(cmd) => cmds::audit::run(cmd, clock),
        Command::Export(cmd) => cmds::export::run(cmd, clock),
        Command::Profile(cmd) => cmds::profile::run(cmd).map_err(custos_recorder::RecorderError::Usage),
        Command::Site(cmd) => cmds::site::run(cmd, clock),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custos-recorder: {e}");
            ExitCode::FAILURE
        }
    }
}
