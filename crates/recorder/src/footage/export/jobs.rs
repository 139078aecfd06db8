//! Exports asked for from the manager's tablet: checked at once (a refusal
//! is the request's answer), then written in the background, one at a
//! time (the disk is what limits it); the tablet that asked follows its
//! progress. Jobs live in memory: a recorder stopped midway deletes the
//! working copy when it starts again, and nothing was recorded, so the
//! application can be exported again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use custos_api::exports::{CameraGap, ExportJob, ExportProgress, ExportWritten};
use custos_core::ids::EntryId;

use super::{ExportDone, ExportRequest, carry_out, prepare};
use crate::base::error::{RecorderError, Result};
use crate::registers::{Registers, SignedIn};

/// Jobs kept to be asked about, newest last; beyond it the oldest finished go.
const KEPT_JOBS: usize = 64;

#[derive(Default)]
pub struct ExportJobs {
    jobs: Mutex<Jobs>,
}

#[derive(Default)]
struct Jobs {
    writing: bool,
    order: Vec<String>,
    by_id: HashMap<String, Job>,
}

struct Job {
    device: String,
    view: ExportJob,
}

/// The one export being written, held while it is; let go on drop.
struct WritingSlot(Arc<ExportJobs>);

impl Drop for WritingSlot {
    fn drop(&mut self) {
        self.0.lock().writing = false;
    }
}

fn written(done: &ExportDone) -> ExportWritten {
    ExportWritten {
        archive: done.archive.display().to_string(),
        manifest_sha256: done.manifest_sha256.clone(),
        fingerprint: done.fingerprint.clone(),
        segments: done.segments as u32,
        pending: done.pending as u32,
        missing: done
            .missing
            .iter()
            .map(|(camera, span)| CameraGap {
                camera: camera.to_string(),
                span: *span,
            })
            .collect(),
    }
}

impl ExportJobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, job: &str, progress: ExportProgress) {
        let mut jobs = self.lock();
        if let Some(j) = jobs.by_id.get_mut(job) {
            j.view.progress = progress;
        }
    }

    /// Checks the application and starts writing its export to the disk
    /// set up for exports; `who` is the manager's signed-in tablet.
    pub async fn start(
        self: &Arc<Self>,
        registers: &Registers,
        data: PathBuf,
        who: &SignedIn,
        application: &str,
    ) -> Result<ExportJob> {
        let application: EntryId = application
            .parse()
            .map_err(|_| RecorderError::BadRequest(format!("{application:?} is not an application id")))?;
        {
            let mut jobs = self.lock();
            if jobs.writing {
                return Err(RecorderError::Unavailable {
                    detail: "the recorder is writing another export to its disk; try again when that one is done"
                        .into(),
                    retry_after_s: 30,
                });
            }
            jobs.writing = true;
        }
        // Freed however this ends: a refusal, a failure, even a panic.
        let slot = WritingSlot(self.clone());
        let request = ExportRequest {
            application,
            by: who.person_id.clone(),
            destination: None,
            cameras: None,
            window: None,
        };
        let (r, d) = (registers.clone(), data.clone());
        let prepared = tokio::task::spawn_blocking(move || prepare(&r, &d, &request))
            .await
            .map_err(|e| RecorderError::internal(format!("the export's check stopped: {e}")));
        let prepared = prepared.and_then(|p| p)?;
        let job = EntryId::from_parts(
            registers.now().0 as u64,
            u128::from_le_bytes(custos_clock::random_bytes::<16>()),
        )
        .to_string();
        let view = ExportJob {
            job: job.clone(),
            application: prepared.application().to_string(),
            progress: ExportProgress::Writing {
                done_bytes: 0,
                total_bytes: prepared.bytes() * 2,
            },
        };
        {
            let mut guard = self.lock();
            let jobs = &mut *guard;
            jobs.order.push(job.clone());
            let device = who.device_id.to_string();
            jobs.by_id.insert(
                job.clone(),
                Job {
                    device,
                    view: view.clone(),
                },
            );
            let excess = jobs.order.len().saturating_sub(KEPT_JOBS);
            for old in jobs.order.drain(..excess) {
                jobs.by_id.remove(&old);
            }
        }
        let (me, r) = (self.clone(), registers.clone());
        tokio::task::spawn_blocking(move || {
            let mut shown = 0u64;
            let outcome = carry_out(&r, &data, prepared, &mut |done, total| {
                // A change of state at most every 4 MiB.
                if done - shown >= 4 << 20 || done == total {
                    shown = done;
                    me.set(
                        &job,
                        ExportProgress::Writing {
                            done_bytes: done,
                            total_bytes: total,
                        },
                    );
                }
            });
            let progress = match outcome {
                Ok(done) => ExportProgress::Done(written(&done)),
                Err(e) => ExportProgress::Failed { detail: e.to_string() },
            };
            me.set(&job, progress);
            drop(slot);
        });
        Ok(view)
    }

    /// How far the job is, for the tablet that started it.
    pub fn state(&self, who: &SignedIn, job: &str) -> Result<ExportJob> {
        let jobs = self.lock();
        jobs.by_id
            .get(job)
            .filter(|j| j.device == who.device_id.as_str())
            .map(|j| j.view.clone())
            .ok_or_else(|| RecorderError::not_found("No export", "no export of that id was started from this device"))
    }
}
