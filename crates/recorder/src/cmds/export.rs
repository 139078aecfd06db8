//! `custos-recorder export make|verify|key`: 複製 for a public agency. The
//! manager writes an approved copy application's footage to a disk
//! attached to this machine; anyone checks an export against the site key
//! whose fingerprint the reply letter states (docs/export.md).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use custos_core::ids::{CameraId, EntryId};
use custos_core::time::{MinuteWindow, Timestamp};

use super::open_data_dir;
use super::progress::Progress;
use crate::base::error::{RecorderError, Result};
use crate::base::keys::{public_key_from_pem, site_public_key_pem};
use crate::footage::export::archive::{SITE_PEM, verify_archive};
use crate::footage::export::{EXPORT_DISK, ExportRequest, carry_out, prepare};
use custos_clock::Clock;
use custos_core::export::site_key_fingerprint;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Writes the export of an approved copy application to a directory on
    /// a disk attached to this machine.
    Make {
        #[arg(long)]
        data: PathBuf,
        /// The application's id.
        #[arg(long)]
        application: String,
        /// The manager making the copy.
        #[arg(long)]
        by: String,
        /// A directory on the disk; the export is made inside it. Without
        /// it, the disk set up with `export disk --set`.
        #[arg(long)]
        to: Option<PathBuf>,
        /// Only these of the approved cameras.
        #[arg(long = "camera", num_args = 1..)]
        cameras: Vec<String>,
        /// Only from this minute, Taipei time: "YYYY-MM-DD HH:MM".
        #[arg(long)]
        from: Option<String>,
        /// Only to this minute, Taipei time.
        #[arg(long, requires = "from")]
        until: Option<String>,
    },
    /// Checks an export: every file, the signatures, each segment's seal
    /// and its proof into the signed checkpoint.
    Verify {
        /// The export's directory.
        archive: PathBuf,
        /// The site key's fingerprint as the reply letter states it; without
        /// it the export's own site.pem is used and its fingerprint printed
        /// for you to compare.
        #[arg(long)]
        fingerprint: Option<String>,
    },
    /// The directory on the disk attached for exports, where an export
    /// asked for from the manager's tablet is written.
    Disk {
        #[arg(long)]
        data: PathBuf,
        /// Sets it (a directory outside the data directory).
        #[arg(long, conflicts_with = "clear")]
        set: Option<PathBuf>,
        /// No disk for exports: a tablet's request is refused.
        #[arg(long)]
        clear: bool,
    },
    /// Prints the site's public key (site.pem) and its fingerprint, for the
    /// reply letter.
    Key {
        #[arg(long)]
        data: PathBuf,
    },
}

pub fn run(cmd: ExportCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        ExportCommand::Make {
            data,
            application,
            by,
            to,
            cameras,
            from,
            until,
        } => {
            let registers = open_data_dir(&data, &clock)?;
            let application: EntryId = application
                .trim()
                .parse()
                .map_err(|_| RecorderError::Usage(format!("{application:?} is not an application id")))?;
            let cameras = (!cameras.is_empty())
                .then(|| {
                    cameras
                        .iter()
                        .map(|c| c.parse::<CameraId>())
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            let window = match (from, until) {
                (Some(f), Some(u)) => Some(MinuteWindow::new(
                    Timestamp::parse_taipei_minute(&f)?,
                    Timestamp::parse_taipei_minute(&u)?,
                )?),
                (None, None) => None,
                _ => return Err(RecorderError::Usage("give both --from and --until, or neither".into())),
            };
            let (by, _) = registers.find_person(&by)?;
            let request = ExportRequest {
                application,
                by,
                destination: to,
                cameras,
                window,
            };
            let prepared = prepare(&registers, &data, &request)?;
            let mut progress: Option<Progress> = None;
            let done = carry_out(&registers, &data, prepared, &mut |done, total| {
                progress
                    .get_or_insert_with(|| Progress::new("writing and checking the export", total))
                    .set(done);
            });
            if let Some(bar) = &progress {
                bar.done();
            }
            let done = done?;
            println!("Export written and verified: {}", done.archive.display());
            println!(
                "{} segment(s), {} bytes; manifest SHA-256 {}",
                done.segments, done.bytes, done.manifest_sha256
            );
            println!(
                "Site key fingerprint (state it in the reply letter): {}",
                done.fingerprint
            );
            if done.pending > 0 {
                println!(
                    "{} segment(s) are sealed, countersignature pending: they were recorded after the newest countersigned checkpoint. \
                     You may wait for the next countersignature and export again with a new application, or send it as it is.",
                    done.pending
                );
            }
            for (camera, gap) in &done.missing {
                println!(
                    "No footage of {camera} from {} to {} (not recorded, or past retention)",
                    Timestamp(gap.from_ms).taipei_minute(),
                    Timestamp(gap.to_ms).taipei_minute()
                );
            }
            println!("The working copy on this recorder was deleted; the exported spans are held under the letter.");
            Ok(())
        }
        ExportCommand::Verify { archive, fingerprint } => {
            let pem =
                std::fs::read(archive.join(SITE_PEM)).map_err(|e| RecorderError::file(&archive.join(SITE_PEM), e))?;
            let key = public_key_from_pem(&pem)
                .ok_or_else(|| RecorderError::Usage(format!("{SITE_PEM} is not an Ed25519 public key")))?;
            let found = site_key_fingerprint(&key);
            match fingerprint {
                Some(expected) if normalise(&expected) != found => {
                    return Err(RecorderError::Usage(format!(
                        "the export's site key has fingerprint {found}, not {expected}: it was not signed by that site's recorder"
                    )));
                }
                Some(_) => {}
                None => eprintln!("site key fingerprint {found}: compare it with the one the reply letter states"),
            }
            let manifest = verify_archive(&archive, &hex::encode(&key))
                .map_err(|e| RecorderError::Usage(format!("the export does not verify: {e}")))?;
            let tree = manifest.checkpoint.tree_size;
            let proven = manifest.segments.iter().filter(|s| s.row.seq <= tree).count();
            let after = manifest.segments.len() - proven;
            let countersigned = if manifest.countersigned_by.is_empty() {
                "countersignature pending".to_string()
            } else {
                let by: Vec<String> = manifest
                    .countersigned_by
                    .iter()
                    .map(|c| format!("{}（{}）", c.name, c.role))
                    .collect();
                format!("countersigned by {}", by.join("、"))
            };
            println!(
                "Export verified: {} file(s) match the manifest signed by {} ({}); {} segment(s) sealed at recording, {proven} proven into the footage checkpoint of {tree} segments ({countersigned}){}",
                manifest.files.len(),
                manifest.site,
                manifest.letter.number,
                manifest.segments.len(),
                if after > 0 {
                    format!("; {after} sealed after it, countersignature pending")
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        ExportCommand::Disk { data, set, clear } => {
            let registers = open_data_dir(&data, &clock)?;
            let store = &registers.store;
            if let Some(dir) = set {
                let dir = std::fs::canonicalize(&dir).map_err(|e| RecorderError::file(&dir, e))?;
                let inside = std::fs::canonicalize(&data).is_ok_and(|d| dir.starts_with(d));
                if inside || !dir.is_dir() {
                    return Err(RecorderError::Usage(format!(
                        "{} is not a directory outside the data directory: attach a disk for exports and name a directory on it",
                        dir.display()
                    )));
                }
                store.set_setting(EXPORT_DISK, &dir.display().to_string())?;
            } else if clear {
                store.set_setting(EXPORT_DISK, "")?;
            }
            match store.setting(EXPORT_DISK)?.filter(|d| !d.is_empty()) {
                Some(dir) => println!("Exports asked for from a tablet are written to {dir}"),
                None => {
                    println!("No disk is set up for exports: a tablet's request is refused (export disk --set DIR)")
                }
            }
            Ok(())
        }
        ExportCommand::Key { data } => {
            let registers = open_data_dir(&data, &clock)?;
            let key = registers.site_key.public_key();
            print!("{}", site_public_key_pem(key));
            println!("fingerprint (SHA-256 of the key's DER): {}", site_key_fingerprint(key));
            Ok(())
        }
    }
}

/// A fingerprint as people write it: any case, with colons or spaces.
fn normalise(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase()
}
