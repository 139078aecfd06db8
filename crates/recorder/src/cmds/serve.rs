//! `custos-recorder serve`: the HTTPS API (rustls, ring). It reads the site
//! register from the database on every request, so console changes (a new
//! person, a revocation) take effect at once.

use crate::web::connections::{CappedAcceptor, ConnectionLimits};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use custos_core::time::Timestamp;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use crate::base::keys::server_config;
use crate::footage::disk::DiskSpace;
use crate::footage::{health, reconcile, rehash, retention, sessions};
use crate::registers::Registers;
use crate::web::{AppState, router};
use custos_clock::{Clock, SimulatedClock, Timer};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7443")]
    pub listen: SocketAddr,
    /// Length of a footage segment in seconds (segments are cut at clock boundaries).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub segment_seconds: u32,
    /// Serve the registers without recording the cameras: for benchmarks of
    /// the register paths, and for a second machine that must not open the
    /// cameras' streams while the first one records them.
    #[arg(long)]
    pub no_recording: bool,
    /// Record without sealing the footage: the recording benchmark's
    /// baseline only. Written to the audit chain at start.
    #[arg(long, hide = true)]
    pub unsealed: bool,
    /// Seconds a connection may take to send a request head, and stay idle
    /// between requests, before it is closed (the TLS handshake has ten):
    /// a device that opens connections and sends half a request cannot
    /// hold them open forever.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_s: u64,
    /// Connections open at once, in all: past it a new one is closed at
    /// once, so sockets that send nothing cannot take every file descriptor.
    #[arg(long, default_value_t = 768, value_parser = clap::value_parser!(u64).range(8..=65_536))]
    pub max_connections: u64,
    /// Connections open at once from one address (a device uses a few;
    /// raise it where every device reaches the recorder through one NAT).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(2..=65_536))]
    pub max_connections_per_source: u64,
}

/// Serves `args.data` on `clock`. `simulated` (test builds only, see
/// `main.rs`) is the same clock when it is simulated: the API then lets a
/// test move it (`web::simulation`).
pub fn run(args: ServeArgs, clock: Arc<dyn Clock>, simulated: Option<SimulatedClock>) -> Result<()> {
    let registers = open_data_dir(&args.data, &clock)?;
    registers.refuse_addresses_in_the_site_register()?;
    let tls = server_config(&args.data)?;
    let fingerprint = registers.store.setting("fingerprint")?.unwrap_or_default();
    let (changes, _) = tokio::sync::broadcast::channel(256);
    let state = AppState {
        registers: registers.clone(),
        fingerprint: fingerprint.clone().into(),
        data: args.data.clone(),
        segment_seconds: args.segment_seconds,
        pictures: Default::default(),
        changes: changes.clone(),
        turns: Default::default(),
        streams: Arc::new(crate::registers::turns::DeviceTurns::streams()),
        playback: Default::default(),
        exports: Default::default(),
    };
    crate::footage::export::tidy_after_a_stop(&registers, &args.data);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RecorderError::Usage(format!("cannot start the runtime: {e}")))?;
    let pictures = state.pictures.clone();
    let data = args.data.clone();
    let segment_seconds = args.segment_seconds;
    runtime.block_on(async move {
        // Made now, so a simulated clock knows every job from the start: an
        // advance returns only once the first sweep and checkpoint are done.
        let (retention_timer, checkpoint_timer) = (clock.timer("retention"), clock.timer("checkpoint"));
        let notices_timer = clock.timer("notices");
        let viewings_timer = clock.timer("viewings");
        let rehash_timer = clock.timer("rehash");
        crate::registers::watcher::spawn_watcher(registers.store.clone(), changes);
        // Beside the recording, not before it: with a year of footage the
        // comparison reads every camera's index and directory, and the
        // files of this run (from now on) are not its business.
        let (reconcile_store, reconcile_data, started) = (registers.store.clone(), data.clone(), clock.now());
        let reconciled = tokio::task::spawn_blocking(move || {
            match reconcile::reconcile(&reconcile_store, &reconcile_data, started) {
                Ok((0, 0)) => {}
                Ok((orphans, missing)) => {
                    tracing::warn!("footage index: {orphans} file(s) not indexed, {missing} indexed file(s) missing")
                }
                Err(e) => tracing::error!("footage index could not be checked: {e}"),
            }
        });
        if args.no_recording {
            tracing::warn!("--no-recording: the cameras are not recorded by this process");
        } else {
            let recording = crate::footage::ingest::Recording {
                segment_seconds,
                seal: !args.unsealed,
            };
            if args.unsealed {
                tracing::warn!("--unsealed: footage is recorded without sealing (a benchmark's baseline)");
                let event = crate::db::audit::AuditEvent {
                    kind: "footage_unsealed",
                    actor: "recorder",
                    detail: serde_json::json!({ "why": "serve --unsealed: recorded without sealing" }),
                };
                if let Err(e) = registers.store.append_audit(clock.now(), event) {
                    tracing::error!("cannot write the audit row: {e}");
                }
            }
            super::ingest::supervise(data.clone(), recording);
            let every = (i64::from(segment_seconds) * 1000).min(crate::footage::picture::PICTURE_CHECK_EVERY_MS);
            health::spawn_monitor(
                registers.clone(),
                data.clone(),
                pictures,
                clock.clone(),
                every,
                segment_seconds,
            );
        }
        // Sweeps start once the reconcile is done: a sweep taking footage out
        // of the index meanwhile would show its files as unindexed.
        let (retention_registers, retention_data) = (registers.clone(), data.clone());
        tokio::spawn(async move {
            let _ = reconciled.await;
            spawn_retention(retention_registers, retention_data, retention_timer);
        });
        spawn_notices(registers.clone(), notices_timer);
        spawn_rehash(registers.clone(), data.clone(), rehash_timer);
        spawn_viewings(registers.clone(), viewings_timer);
        spawn_checkpointer(registers, checkpoint_timer);
        let handle = axum_server::Handle::new();
        let shutdown = handle.clone();
        let (recording, stop_data) = (!args.no_recording, data.clone());
        tokio::spawn(async move {
            super::wait_for_signal().await;
            tracing::info!("shutting down");
            // A clean stop stops the recording too; a crash does not.
            if recording {
                super::ingest::stop(&stop_data);
            }
            shutdown.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
        });
        let announce = handle.clone();
        tokio::spawn(async move {
            if let Some(addr) = announce.listening().await {
                println!("listening on https://{addr}");
                println!("certificate fingerprint {fingerprint}");
            }
        });
        let config = axum_server::tls_rustls::RustlsConfig::from_config(tls);
        let limits = ConnectionLimits {
            total: args.max_connections as usize,
            per_source: args.max_connections_per_source as usize,
        };
        // The cap is taken before the TLS handshake, so a refused
        // connection costs no handshake.
        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
            .acceptor(CappedAcceptor::new(axum_server::accept::DefaultAcceptor::new(), limits));
        let mut server = axum_server::bind(args.listen).acceptor(acceptor).handle(handle);
        server
            .http_builder()
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(std::time::Duration::from_secs(args.header_timeout_s));
        server
            .serve(router(state, simulated).into_make_service_with_connect_info::<std::net::SocketAddr>())
            .await
            .map_err(|e| RecorderError::Usage(format!("cannot listen on {}: {e}", args.listen)))
    })
}

/// How often retention is swept.
pub const SWEEP_EVERY_MS: i64 = 10 * 60_000;
/// How often the checkpointer looks whether a checkpoint is due (daily).
pub const CHECKPOINT_LOOK_EVERY_MS: i64 = 10 * 60_000;

/// Sweeps retention at start and every ten minutes: the index and the
/// registers under the register lock (the sweep writes the holds document
/// and may raise an alarm in the inspection log), the files after it.
fn spawn_retention(registers: Registers, data: PathBuf, mut timer: Timer) {
    tokio::spawn(async move {
        let mut next = registers.now();
        loop {
            timer.sleep_until(next).await;
            next = Timestamp(registers.now().0 + SWEEP_EVERY_MS);
            let swept = match registers.write().await {
                Ok(writing) => {
                    DiskSpace::measure(&data).and_then(|disk| retention::sweep_index(&writing, registers.now(), disk))
                }
                Err(e) => Err(e),
            };
            let done = swept.and_then(|report| {
                retention::unlink_destroyed(&registers.store, &data, &report)?;
                Ok(report)
            });
            match done {
                Ok(report) if !report.destroyed.is_empty() => {
                    tracing::info!("retention: destroyed {} segment(s)", report.destroyed.len())
                }
                Ok(_) => {}
                Err(e) => tracing::error!("retention sweep failed: {e}"),
            }
        }
    });
}

/// Re-hashes a share of the sealed footage every minute (`footage::rehash`).
fn spawn_rehash(registers: Registers, data: PathBuf, mut timer: Timer) {
    tokio::spawn(async move {
        let mut next = registers.now();
        loop {
            timer.sleep_until(next).await;
            next = Timestamp(registers.now().0 + rehash::REHASH_EVERY_MS);
            match rehash::rehash_and_report(&registers, &data, registers.now()).await {
                Ok(run) if run.completed_pass => {
                    tracing::info!("footage re-hash: a pass over every sealed segment is complete")
                }
                Ok(_) => {}
                Err(e) => tracing::error!("footage re-hash failed: {e}"),
            }
        }
    });
}

/// Settles the notices (a decision deadline passed, a check missed or
/// awaiting its 核章) at start and on every sweep.
fn spawn_notices(registers: Registers, mut timer: Timer) {
    tokio::spawn(async move {
        let mut next = registers.now();
        loop {
            timer.sleep_until(next).await;
            let now = registers.now();
            next = Timestamp(now.0 + SWEEP_EVERY_MS);
            let settled = match registers.write().await {
                Ok(writing) => writing.settle_notices(now),
                Err(e) => Err(e),
            };
            if let Err(e) = settled {
                tracing::error!("notices could not be settled: {e}");
            }
        }
    });
}

/// At start, marks the viewing sessions a stopped recorder left open as
/// interrupted; then closes those past their limits and keeps open ones'
/// logbook entries up to date, every ten seconds.
fn spawn_viewings(registers: Registers, mut timer: Timer) {
    tokio::spawn(async move {
        match registers
            .write()
            .await
            .and_then(|w| sessions::mark_interrupted(&w, registers.now()))
        {
            Ok(0) => {}
            Ok(n) => tracing::warn!("{n} viewing session(s) were open when the recorder stopped: marked interrupted"),
            Err(e) => tracing::error!("open viewing sessions could not be marked interrupted: {e}"),
        }
        loop {
            let next = Timestamp(registers.now().0 + sessions::LOG_EVERY_MS);
            timer.sleep_until(next).await;
            let swept = match registers.write().await {
                Ok(writing) => sessions::sweep(&writing, registers.now()),
                Err(e) => Err(e),
            };
            if let Err(e) = swept {
                tracing::error!("viewing sessions could not be swept: {e}");
            }
        }
    });
}

/// Makes the daily audit checkpoint: at start, then whenever one is due.
fn spawn_checkpointer(registers: Registers, mut timer: Timer) {
    tokio::spawn(async move {
        let mut next = registers.now();
        loop {
            timer.sleep_until(next).await;
            let now = registers.now();
            next = Timestamp(now.0 + CHECKPOINT_LOOK_EVERY_MS);
            let made = match registers.checkpoint_due(now) {
                Ok(true) => match registers.write().await {
                    Ok(writing) => writing.make_checkpoint(now),
                    Err(e) => Err(e),
                },
                Ok(false) => Ok(None),
                Err(e) => Err(e),
            };
            match made {
                Ok(Some(c)) => tracing::info!("audit checkpoint signed at {} rows", c.tree_size),
                Ok(None) => {}
                Err(e) => tracing::error!("audit checkpoint failed: {e}"),
            }
        }
    });
}
