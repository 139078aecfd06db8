//! Writing an export: the working copy assembled and checked, copied to
//! the disk and checked there ([`super::archive`] holds the format).

use std::path::Path;

use custos_core::application::ApplicationCase;
use custos_core::export::{ExportManifest, FORMAT, ManifestGap};

use super::archive::{self, README, SITE_PEM, Staging, copy_archive, verify_archive};
use super::plan::ExportPlan;
use crate::base::error::{RecorderError, Result};
use crate::base::keys::site_public_key_pem;
use crate::registers::Registers;
use custos_core::export::site_key_fingerprint;

/// Assembles the working copy, checks it, copies it to the archive's place
/// on the disk and checks it there. Returns the manifest and its SHA-256.
pub fn write_and_check(
    registers: &Registers,
    plan: &ExportPlan,
    (working, archive_path): (&Path, &Path),
    (case, operator): (&ApplicationCase, &str),
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(ExportManifest, String)> {
    let total = plan.bytes * 2;
    let mut done = 0u64;
    let mut tell = |n: u64| {
        done += n;
        progress(done, total);
    };
    let mut staging = Staging::create(working.to_path_buf())?;
    let mut segments = Vec::with_capacity(plan.segments.len());
    for planned in &plan.segments {
        let copied = staging.copy_in(&planned.segment.file, &planned.source, &mut tell)?;
        if copied.sha256 != planned.segment.row.seal.sha256 || copied.bytes != planned.segment.row.seal.bytes {
            return Err(RecorderError::Usage(format!(
                "{}'s segment {} no longer matches the seal made when it was recorded: it was changed on disk; nothing is exported (run `audit verify --footage`)",
                planned.segment.row.seal.camera, planned.segment.file
            )));
        }
        segments.push(planned.segment.clone());
    }
    let key = &registers.site_key;
    let fingerprint = site_key_fingerprint(key.public_key());
    staging.put(SITE_PEM, site_public_key_pem(key.public_key()).as_bytes())?;
    staging.put(README, readme(&fingerprint).as_bytes())?;
    let site = registers.site()?;
    let manifest = ExportManifest {
        format: FORMAT.into(),
        application: case.id.to_string(),
        letter: case.official_letter.clone().expect("checked: an agency's letter"),
        operator: operator.into(),
        cameras: plan.cameras.iter().map(|c| c.to_string()).collect(),
        from_ms: plan.window.start.0,
        to_ms: plan.window.end.0,
        files: staging.files.clone(),
        segments,
        missing: plan
            .missing
            .iter()
            .map(|(camera, gap)| ManifestGap {
                camera: camera.to_string(),
                from_ms: gap.from_ms,
                to_ms: gap.to_ms,
            })
            .collect(),
        checkpoint: plan.checkpoint.clone(),
        checkpoint_signature: plan.checkpoint_signature.clone(),
        countersigned_by: plan.countersigned_by.clone(),
        site: site.site.name.clone(),
        recorder_public_key: key.public_key_hex(),
        made_at: registers.now(),
    };
    let manifest_sha256 = staging.seal(&manifest, key)?;
    let problem = |place: &str, e: archive::ArchiveError| {
        RecorderError::internal(format!("the export's {place} did not verify: {e}"))
    };
    verify_archive(working, &key.public_key_hex()).map_err(|e| problem("working copy", e))?;
    copy_archive(working, &manifest, archive_path, &mut tell)?;
    verify_archive(archive_path, &key.public_key_hex()).map_err(|e| problem("copy on the disk", e))?;
    Ok((manifest, manifest_sha256))
}

/// README.txt: the check with `openssl` and `sha256sum` alone (docs/export.md).
pub fn readme(fingerprint: &str) -> String {
    format!(
        "Custos 監視錄影匯出檔 / Custos footage export\n\
         \n\
         本匯出檔由錄影主機以場域金鑰簽章。請先確認 site.pem 的指紋與函覆所載相同：\n\
         The recorder signed this export with its site key. First check that site.pem's fingerprint is the one the reply letter states:\n\
         \n\
         \x20 openssl pkey -pubin -in site.pem -outform DER | sha256sum\n\
         \x20 ({fingerprint})\n\
         \n\
         再驗證簽章與每個檔案 / Then the signatures and every file:\n\
         \n\
         \x20 openssl pkeyutl -verify -pubin -inkey site.pem -rawin -in manifest.json -sigfile manifest.sig\n\
         \x20 openssl pkeyutl -verify -pubin -inkey site.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig\n\
         \x20 sha256sum -c SHA256SUMS\n\
         \n\
         每段影像自錄製時即封存；manifest.json 列出其封存紀錄與納入已簽章檢查點之證明，\n\
         `custos-recorder export verify` 可一併驗證。標示 pending 者已封存、尚待副署。\n\
         Each segment was sealed as it was recorded; manifest.json gives its footage-log row and its proof into a signed\n\
         checkpoint, which `custos-recorder export verify` checks too. Segments marked pending are sealed, countersignature pending.\n"
    )
}
