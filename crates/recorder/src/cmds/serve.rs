//! `custos-recorder serve`: the HTTPS API (rustls, ring). It reads the site
//! register from the database on every request, so console changes (a new
//! person, a revocation) take effect at once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::open_data_dir;
use crate::clock::Clock;
use crate::error::{RecorderError, Result};
use crate::keys::server_config;
use crate::web::{AppState, router};

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
}

pub fn run(args: ServeArgs, clock: Arc<dyn Clock>) -> Result<()> {
    let (store, key) = open_data_dir(&args.data)?;
    let tls = server_config(&args.data)?;
    let fingerprint = store.setting("fingerprint")?.unwrap_or_default();
    let store = Arc::new(store);
    let (changes, _) = tokio::sync::broadcast::channel(256);
    let state = AppState {
        store: store.clone(),
        clock,
        site_key: Arc::new(key),
        fingerprint: fingerprint.clone().into(),
        sync_states: Default::default(),
        push_lock: Default::default(),
        cache: Default::default(),
        data: args.data.clone(),
        segment_seconds: args.segment_seconds,
        pictures: Default::default(),
        changes: changes.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RecorderError::Usage(format!("cannot start the runtime: {e}")))?;
    let site_key = state.site_key.clone();
    let alarms = crate::alarms::AlarmWriter {
        store: state.store.clone(),
        site_key: state.site_key.clone(),
        push_lock: state.push_lock.clone(),
    };
    let pictures = state.pictures.clone();
    let data = args.data.clone();
    let segment_seconds = args.segment_seconds;
    let checkpoint_clock = state.clock.clone();
    runtime.block_on(async move {
        crate::web::events::spawn_watcher(store.clone(), changes);
        // Beside the recording, not before it: with a year of footage the
        // comparison reads every camera's index and directory, and the
        // files of this run (from now on) are not its business.
        let (reconcile_store, reconcile_data, started) = (store.clone(), data.clone(), checkpoint_clock.now());
        let reconciled = tokio::task::spawn_blocking(move || {
            match crate::ingest::reconcile(&reconcile_store, &reconcile_data, started) {
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
            crate::ingest::spawn_manager(store.clone(), data.clone(), segment_seconds);
            let every = (i64::from(segment_seconds) * 1000).min(crate::health::PICTURE_CHECK_EVERY_MS);
            crate::health::spawn_monitor(
                alarms.clone(),
                data.clone(),
                pictures,
                checkpoint_clock.clone(),
                every,
                segment_seconds,
            );
        }
        // Sweeps start once the reconcile is done: a sweep taking footage out
        // of the index meanwhile would show its files as unindexed.
        let (retention_data, retention_clock) = (data.clone(), checkpoint_clock.clone());
        tokio::spawn(async move {
            let _ = reconciled.await;
            spawn_retention(alarms, retention_data, retention_clock);
        });
        spawn_checkpointer(store, site_key, checkpoint_clock);
        let handle = axum_server::Handle::new();
        let shutdown = handle.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
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
        axum_server::bind_rustls(args.listen, config)
            .handle(handle)
            .serve(router(state).into_make_service())
            .await
            .map_err(|e| RecorderError::Usage(format!("cannot listen on {}: {e}", args.listen)))
    })
}

/// Sweeps retention at start and every ten minutes: the index and the
/// registers under the push lock (the sweep writes the holds document and
/// may raise an alarm in the inspection log), the files after it.
fn spawn_retention(writer: crate::alarms::AlarmWriter, data: PathBuf, clock: Arc<dyn Clock>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let swept = {
                let _one_at_a_time = writer.push_lock.hold().await;
                crate::retention::DiskSpace::measure(&data)
                    .and_then(|disk| crate::retention::sweep_index(&writer.store, &writer.site_key, clock.now(), disk))
            };
            let done = swept.and_then(|report| {
                crate::retention::unlink_destroyed(&writer.store, &data, &report)?;
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

/// Makes the daily audit checkpoint: at start, then whenever one is due.
fn spawn_checkpointer(
    store: Arc<crate::store::Store>,
    key: Arc<custos_core::signing::DeviceKey>,
    clock: Arc<dyn Clock>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = clock.now();
            let made = crate::checkpoints::checkpoint_due(&store, now).and_then(|due| {
                if due {
                    crate::checkpoints::make_checkpoint(&store, &key, now)
                } else {
                    Ok(None)
                }
            });
            match made {
                Ok(Some(c)) => tracing::info!("audit checkpoint signed at {} rows", c.tree_size),
                Ok(None) => {}
                Err(e) => tracing::error!("audit checkpoint failed: {e}"),
            }
        }
    });
}

async fn wait_for_signal() {
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
