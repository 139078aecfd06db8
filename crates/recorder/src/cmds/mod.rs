//! One module per subcommand. Each opens the data directory's registers,
//! calls the service, and prints what a person at the console needs.

pub mod audit;
pub mod camera;
pub mod enroll;
pub mod export;
pub mod footage;
pub mod hold;
pub mod ingest;
pub mod init;
pub mod person;
pub mod profile;
pub mod progress;
pub mod retention;
pub mod serve;
pub mod site;

use std::path::Path;
use std::sync::Arc;

use crate::base::error::Result;
use crate::registers::Registers;
use custos_clock::Clock;

/// The registers of an initialised data directory.
pub fn open_data_dir(data: &Path, clock: &Arc<dyn Clock>) -> Result<Registers> {
    Registers::open(data, clock.clone())
}

/// Returns on SIGTERM or Ctrl-C: how `serve` and `ingest` are stopped cleanly.
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
