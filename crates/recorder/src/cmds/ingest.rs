//! `custos-recorder ingest`: the cameras recorded by a process of their
//! own, so that a crash of the HTTP side (`serve`) stops no camera. `serve`
//! starts it and watches it ([`supervise`]); it holds `ingest.lock` in the
//! data directory for as long as it runs, so a `serve` started again after
//! a crash finds it still recording and leaves it be. Its camera
//! connections (`ingest::record_camera`) end with it, never with `serve`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use custos_clock::Clock;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use crate::footage::ingest;

/// Held by the recording process while it runs.
pub const LOCK_FILE: &str = "ingest.lock";
/// The recording process's pid, for `serve` to stop it on a clean shutdown.
pub const PID_FILE: &str = "ingest.pid";
/// Where the recording process writes its log (it outlives `serve`'s terminal).
pub const LOG_FILE: &str = "ingest.log";
/// Past this size the log is set aside when the process is started again.
const MAX_LOG_BYTES: u64 = 10 << 20;

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// Length of a footage segment in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub segment_seconds: u32,
    /// Record without sealing (the recording benchmark's baseline only).
    #[arg(long, hide = true)]
    pub unsealed: bool,
}

/// The error of a file operation on `path`.
fn on(path: &Path) -> impl FnOnce(std::io::Error) -> RecorderError + '_ {
    move |source| RecorderError::File {
        path: path.display().to_string(),
        source,
    }
}

/// The lock, taken if no other process holds it.
fn try_lock(data: &Path) -> Result<Option<File>> {
    let path = data.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(on(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(on(&path)(e)),
    }
}

/// Records every camera in service until SIGTERM or SIGINT.
pub fn run(args: IngestArgs, clock: Arc<dyn Clock>) -> Result<()> {
    let Some(_lock) = try_lock(&args.data)? else {
        return Err(RecorderError::Usage(format!(
            "{} is already being recorded by another process",
            args.data.display()
        )));
    };
    let pid_file = args.data.join(PID_FILE);
    std::fs::write(&pid_file, std::process::id().to_string()).map_err(on(&pid_file))?;
    let registers = open_data_dir(&args.data, &clock)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RecorderError::Usage(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let recording = ingest::Recording {
            segment_seconds: args.segment_seconds,
            seal: !args.unsealed,
        };
        ingest::spawn_manager(registers, args.data.clone(), recording);
        super::wait_for_signal().await;
        tracing::info!("recording stops");
    });
    // Dropping the runtime drops the camera tasks: each closes its segment
    // file as it is dropped (a fragmented MP4 plays as far as it was written).
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}

/// Keeps a recording process running for `data` while `serve` runs: starts
/// one when none holds the lock (at start, or after it died), every two
/// seconds. One already running (`serve` restarted after a crash) is left
/// recording. Returns at once; the watch runs on the runtime.
pub fn supervise(data: PathBuf, recording: ingest::Recording) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            match try_lock(&data) {
                Ok(Some(lock)) => {
                    drop(lock);
                    if let Err(e) = start(&data, recording) {
                        tracing::error!("cannot start the recording process: {e}");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::error!("cannot check the recording process: {e}"),
            }
        }
    });
}

/// Starts the recording process, in a process group of its own (a signal
/// to `serve`'s group does not reach it), its log in the data directory.
fn start(data: &Path, recording: ingest::Recording) -> Result<()> {
    let exe = std::env::current_exe().map_err(on(Path::new("the recorder's executable")))?;
    let log_path = data.join(LOG_FILE);
    // One older log is kept beside it; the log never grows past twice this.
    if std::fs::metadata(&log_path).is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let _ = std::fs::rename(&log_path, data.join(format!("{LOG_FILE}.1")));
    }
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(on(&log_path))?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("ingest")
        .arg("--data")
        .arg(data)
        .arg("--segment-seconds")
        .arg(recording.segment_seconds.to_string())
        .args((!recording.seal).then_some("--unsealed"))
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().map_err(on(&log_path))?)
        .stderr(log)
        .kill_on_drop(false)
        .process_group(0);
    let mut child = command.spawn().map_err(on(Path::new("the recording process")))?;
    tracing::info!("recording process started (pid {:?})", child.id());
    // Reaped when it ends, so a dead one leaves no zombie behind.
    tokio::spawn(async move {
        let status = child.wait().await;
        tracing::warn!("recording process ended ({status:?})");
    });
    Ok(())
}

/// Stops the recording process of `data` and waits up to `within` for it
/// to end; whether it has. For whoever
/// stops a recorder whose `serve` was killed (tests, benchmarks).
pub fn stop_and_wait(data: &Path, within: Duration) -> bool {
    stop(data);
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if matches!(try_lock(data), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// On a clean shutdown of `serve`: asks the recording process to stop
/// (it closes the segments it is writing).
pub fn stop(data: &Path) {
    let Ok(text) = std::fs::read_to_string(data.join(PID_FILE)) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    // Only while it still holds the lock: the pid may have been reused.
    if matches!(try_lock(data), Ok(None)) {
        // SAFETY: kill(2) with a pid read from our own pid file and a constant signal.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}
