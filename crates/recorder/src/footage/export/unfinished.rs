//! An export cut off by a stop must never look like a whole one: the
//! archive is copied to the disk under `<name>.partial` and takes its
//! name only once it is checked there and on record. A directory on the
//! export disk without the suffix is therefore whole, checked and in the
//! logbook. At start, a `.partial` archive whose manifest the application's
//! counted export names (a stop between the record and the rename) is
//! given its name; any other (a stop during the copy or before the
//! record: not in the logbook, given to nobody) is deleted.

use std::path::{Path, PathBuf};

use custos_core::application::Decision;
use custos_core::export::ExportManifest;
use custos_core::ids::EntryId;
use custos_core::signing::sha256_hex;

use super::archive::{self, MANIFEST};
use crate::base::error::{RecorderError, Result};
use crate::footage::viewing::case_and_status;
use crate::registers::Registers;

/// The suffix of an archive still being written.
const PARTIAL: &str = ".partial";

/// Where the archive named `archive` is written until it is on record.
pub fn partial_path(archive: &Path) -> PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_os_string();
    name.push(PARTIAL);
    archive.with_file_name(name)
}

/// Gives the written archive its name, durably.
pub fn finish(partial: &Path, archive: &Path) -> Result<()> {
    std::fs::rename(partial, archive).map_err(|e| RecorderError::file(archive, e))?;
    let parent = archive.parent().unwrap_or(Path::new("/"));
    std::fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| RecorderError::file(parent, e))
}

/// What [`settle`] did on the export disk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// On record: renamed to their names.
    pub finished: Vec<PathBuf>,
    /// Not on record: deleted.
    pub deleted: Vec<PathBuf>,
}

/// Settles every `.partial` archive in `disk` (see the module's doc).
pub fn settle(registers: &Registers, disk: &Path) -> Result<Settled> {
    let mut settled = Settled::default();
    let Ok(entries) = std::fs::read_dir(disk) else {
        return Ok(settled);
    };
    for entry in entries.flatten() {
        let partial = entry.path();
        let Some(name) = partial
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(PARTIAL))
            .filter(|n| n.starts_with("custos-export-"))
        else {
            continue;
        };
        let archive = partial.with_file_name(name);
        if is_on_record(registers, &partial)? && !archive.exists() {
            finish(&partial, &archive)?;
            settled.finished.push(archive);
        } else {
            std::fs::remove_dir_all(&partial).map_err(|e| RecorderError::file(&partial, e))?;
            settled.deleted.push(partial);
        }
    }
    Ok(settled)
}

/// Whether the application the archive's manifest names has as its counted
/// export one made with exactly this manifest.
fn is_on_record(registers: &Registers, partial: &Path) -> Result<bool> {
    let Ok(bytes) = archive::read_bounded(partial, MANIFEST, archive::MAX_LISTING_BYTES) else {
        return Ok(false);
    };
    let Ok(manifest) = serde_json::from_slice::<ExportManifest>(&bytes) else {
        return Ok(false);
    };
    let Ok(application) = manifest.application.parse::<EntryId>() else {
        return Ok(false);
    };
    let profile = registers.profile()?;
    let Some(held) = case_and_status(registers, &application, &profile)? else {
        return Ok(false);
    };
    let sha = sha256_hex(&bytes);
    Ok(held
        .exported
        .and_then(|id| held.events.get(id.as_str()))
        .is_some_and(|e| matches!(&e.decision, Decision::Export { manifest_sha256, .. } if *manifest_sha256 == sha)))
}
