//! 複製 for a public agency (001 §6(1), 002 §9, 004 §8(4), §8(5)3): the
//! recorder writes an approved copy application's footage to a disk on its
//! own machine, never to a device. The archive ([`archive`]) carries the
//! sealed segments byte for byte, each with its footage-log row and its
//! inclusion proof into a signed footage checkpoint ([`plan`]), under a
//! manifest signed with the site key. It is assembled as a working copy in
//! the data directory, checked, copied to the disk, checked there, and the
//! working copy deleted (004 §7(3), [`write`]). Then, in one transaction,
//! the application's one export is recorded ([`record`]), and only then
//! does the archive on the disk take its name ([`unfinished`]). Whether it may
//! be made at all, and the refusals on record: [`rules`]. Asked for from
//! the manager's tablet, it is written in the background ([`jobs`]).

pub mod archive;
pub mod jobs;
mod plan;
mod record;
mod rules;
pub mod unfinished;
mod write;

use std::path::{Path, PathBuf};

use custos_api::footage::Span;
use custos_core::ids::{CameraId, EntryId, PersonId};
use custos_core::permissions::EXPORT_ROLES;
use custos_core::roles::Role;
use custos_core::time::{MinuteWindow, Timestamp};

use self::plan::{ExportPlan, plan_export};
use self::rules::{not_exportable, refuse};
use super::viewing::{HeldCase, case_and_status};
use crate::base::error::{RecorderError, Result};
use crate::registers::Registers;
use custos_clock::random_bytes;
use custos_core::export::site_key_fingerprint;

/// The setting naming the directory on the disk attached for exports, where
/// an export asked for from a tablet is written (`export disk --set`).
pub const EXPORT_DISK: &str = "export_disk";

/// What the manager asks for.
pub struct ExportRequest {
    pub application: EntryId,
    /// The manager asking.
    pub by: PersonId,
    /// A directory on a disk attached to the recorder's machine; the
    /// archive is made inside it. `None`: the configured export disk.
    pub destination: Option<PathBuf>,
    /// Fewer cameras or a shorter window than approved; `None`: all of it.
    pub cameras: Option<Vec<CameraId>>,
    pub window: Option<MinuteWindow>,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct ExportDone {
    pub archive: PathBuf,
    pub manifest_sha256: String,
    /// The site key's fingerprint, for the reply letter.
    pub fingerprint: String,
    pub segments: usize,
    /// Segments marked "sealed, countersignature pending".
    pub pending: usize,
    pub bytes: u64,
    /// Parts of the window with no footage, per camera (001 §6(3)).
    pub missing: Vec<(CameraId, Span)>,
}

/// An export that passed every check, planned and ready to write.
pub struct Prepared {
    held: HeldCase,
    person: PersonId,
    role: Role,
    /// Name and role, as the manifest names the operator.
    operator: String,
    plan: ExportPlan,
    destination: PathBuf,
    started: Timestamp,
}

impl Prepared {
    /// Bytes of footage to copy (twice: the working copy, then the disk).
    pub fn bytes(&self) -> u64 {
        self.plan.bytes
    }

    pub fn application(&self) -> &EntryId {
        &self.held.case.id
    }
}

/// Where the working copy is assembled, inside the data directory.
fn working_dir(data: &Path, export: &EntryId) -> PathBuf {
    data.join("exports").join(export.as_str())
}

/// What a stop during an export left, put right at start: its working
/// copy deleted (004 §7(3)), its archive on the export disk finished if it
/// is on record and deleted if not ([`unfinished::settle`]). Said in the log.
pub fn tidy_after_a_stop(registers: &Registers, data: &Path) {
    let stale = std::fs::read_dir(data.join("exports")).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| std::fs::remove_dir_all(e.path()).is_ok())
            .count()
    });
    if stale > 0 {
        tracing::warn!("deleted {stale} working copy(ies) of an export cut off by a stop");
    }
    let disk = match registers.store.setting(EXPORT_DISK) {
        Ok(Some(disk)) if !disk.is_empty() => PathBuf::from(disk),
        _ => return,
    };
    match unfinished::settle(registers, &disk) {
        Ok(settled) => {
            for archive in &settled.finished {
                tracing::warn!(
                    "{}: an export on record, named now (a stop came before)",
                    archive.display()
                );
            }
            for partial in &settled.deleted {
                tracing::warn!(
                    "{}: deleted, an export cut off by a stop and not on record",
                    partial.display()
                );
            }
        }
        Err(e) => tracing::error!("{}: unfinished exports not settled: {e}", disk.display()),
    }
}

/// Checks the request and plans the export, or refuses it (audited).
pub fn prepare(registers: &Registers, data: &Path, request: &ExportRequest) -> Result<Prepared> {
    let application = request.application.to_string();
    let actor = request.by.to_string();
    let refused = |code: &str, why: String| refuse(registers, &actor, code, &application, why);
    let site = registers.site()?;
    let person = site
        .person(&request.by)
        .filter(|p| p.revoked_at.is_none())
        .ok_or_else(|| {
            refused(
                "export_role",
                "only an active member of the site's staff may make a copy".into(),
            )
        })?;
    let Some(role) = EXPORT_ROLES.iter().copied().find(|r| person.roles.contains(r)) else {
        return Err(refused(
            "export_role",
            format!(
                "{} is not a manager: only the staff handling the system make a copy",
                person.name
            ),
        ));
    };
    let profile = registers.profile()?;
    let Some(held) = case_and_status(registers, &request.application, &profile)? else {
        return Err(refused("no_application", format!("no application {application}")));
    };
    if let Some((code, why)) = not_exportable(&held, &profile) {
        return Err(refused(code, why));
    }
    let asked = match &request.destination {
        Some(d) => d.clone(),
        None => registers
            .store
            .setting(EXPORT_DISK)?
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| {
            refused(
                "destination",
                "no disk is set up for exports on the recorder: at its console, attach one and run `custos-recorder export disk --set DIR`".into(),
            )
        })?,
    };
    let destination = std::fs::canonicalize(&asked).map_err(|e| {
        refused(
            "destination",
            format!(
                "{}: {e}; attach the disk for exports to the recorder and name a directory on it",
                asked.display()
            ),
        )
    })?;
    let data_dir = std::fs::canonicalize(data).map_err(|e| RecorderError::file(data, e))?;
    if destination.starts_with(&data_dir) || !destination.is_dir() {
        return Err(refused(
            "destination",
            format!(
                "{} is not a directory on a disk for the export: name one outside the recorder's data directory",
                destination.display()
            ),
        ));
    }
    let now = registers.now();
    let plan = match plan_export(
        registers,
        data,
        &held.case,
        (request.cameras.as_deref(), request.window),
        now,
    )? {
        Ok(plan) => plan,
        Err(why) => return Err(refused(why.code, why.detail)),
    };
    Ok(Prepared {
        operator: format!("{}（{}）", person.name, role.title_zh()),
        held,
        person: request.by.clone(),
        role,
        plan,
        destination,
        started: now,
    })
}

/// Writes and checks the prepared export, then records it. `progress` is
/// told bytes written and the total to write.
pub fn carry_out(
    registers: &Registers,
    data: &Path,
    prepared: Prepared,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ExportDone> {
    let Prepared {
        held,
        person,
        role,
        operator,
        plan,
        destination,
        started,
    } = prepared;
    let export_id = EntryId::from_parts(started.0 as u64, u128::from_le_bytes(random_bytes::<16>()));
    let name = format!(
        "custos-export-{}-{}",
        started.taipei_date().to_string().replace('-', ""),
        &export_id.as_str()[export_id.as_str().len() - 6..]
    );
    let archive_path = destination.join(&name);
    let partial = unfinished::partial_path(&archive_path);
    let working = working_dir(data, &export_id);
    let written = write::write_and_check(
        registers,
        &plan,
        (&working, &partial),
        (&held.case, &operator),
        progress,
    );
    // The working copy goes whatever happened (004 §7(3)).
    let deleted = std::fs::remove_dir_all(&working).is_ok() || !working.exists();
    let (manifest, manifest_sha256) = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            let application = held.case.id.to_string();
            return Err(refuse(
                registers,
                person.as_str(),
                "not_written",
                &application,
                e.to_string(),
            ));
        }
    };
    let recorded = record::record(
        registers,
        &held,
        (&person, role),
        (&export_id, &manifest, &manifest_sha256),
        (&archive_path, deleted),
        started,
    );
    if let Err(e) = recorded {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    // On record: now it may look whole. Should this fail, the next start
    // finishes it ([`unfinished::settle`]).
    unfinished::finish(&partial, &archive_path)?;
    Ok(ExportDone {
        archive: archive_path,
        manifest_sha256,
        fingerprint: site_key_fingerprint(registers.site_key.public_key()),
        segments: manifest.segments.len(),
        pending: manifest.segments.iter().filter(|s| s.pending).count(),
        bytes: plan.bytes,
        missing: plan.missing.clone(),
    })
}
