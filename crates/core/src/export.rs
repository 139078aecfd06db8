//! 複製 for a public agency (#15): what an export's manifest states and how
//! anyone checks it. The manifest names the application and the agency's
//! letter, the cameras and spans, every file with its SHA-256, each
//! segment's sealed row of the footage log with its inclusion proof, the
//! footage checkpoint they prove into, the recorder's identity and the
//! time; it is signed with the site key over its exact bytes, so the check
//! needs nothing but those bytes, the signature, the files and the site's
//! public key (which the agency gets outside the archive).
//!
//! Here: the manifest and its check, pure. The recorder writes the archive.

use serde::{Deserialize, Serialize};

use crate::application::OfficialLetter;
use crate::footage_log::{FootageCheckpoint, SealedSegment, SegmentSeal, sealed_hash, verify_inclusion};
use crate::signing::verify;
use crate::time::Timestamp;

/// The manifest's format, first in it.
pub const FORMAT: &str = "custos-export/v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportManifest {
    pub format: String,
    /// The application (its id) and the agency's letter: 文號, date, legal
    /// basis, purpose, scope and use (001 §6(1)).
    pub application: String,
    pub letter: OfficialLetter,
    /// The manager who asked for the export (系統操作承辦人), and their role.
    pub operator: String,
    pub cameras: Vec<String>,
    /// The approved window, ms since 1970.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Every file of the archive but the manifest and its signature.
    pub files: Vec<ManifestFile>,
    /// Each segment's row of the footage log and its place in the checkpoint.
    pub segments: Vec<ManifestSegment>,
    /// Parts of the window with no footage, per camera: not recorded, or
    /// destroyed by retention (001 §6(3)); stated, not left to be guessed.
    #[serde(default)]
    pub missing: Vec<ManifestGap>,
    pub checkpoint: FootageCheckpoint,
    /// The site key's signature over the checkpoint's signing bytes, hex.
    pub checkpoint_signature: String,
    /// Who countersigned the audit checkpoint that covers `checkpoint`, on
    /// their own devices; empty while none has (every segment is pending).
    pub countersigned_by: Vec<ManifestCountersignature>,
    /// The site's name and its recorder's public key (hex).
    pub site: String,
    pub recorder_public_key: String,
    pub made_at: Timestamp,
}

/// A span of one camera the archive has no footage of, ms since 1970.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestGap {
    pub camera: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A countersignature of the audit checkpoint covering the footage one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestCountersignature {
    pub name: String,
    pub role: String,
    pub signed_at: Timestamp,
    /// The audit checkpoint's size (rows of the audit chain).
    pub audit_rows: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Its path inside the archive.
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSegment {
    /// The archive's file holding the segment, byte for byte.
    pub file: String,
    /// Its row of the footage log, as sealed.
    pub row: SealedSegment,
    /// Leaf to root; empty for a segment sealed after the checkpoint.
    pub proof: Vec<String>,
    /// "Sealed, countersignature pending": sealed after the checkpoint (no
    /// proof yet, it waits for the next one), or covered by a checkpoint no
    /// head's or ethics office's device has countersigned yet (its proof is
    /// into the site-signed checkpoint alone).
    pub pending: bool,
}

/// What a check found wrong, naming it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the manifest's signature does not verify with the site key given")]
    ManifestSignature,
    #[error("the manifest cannot be read: {0}")]
    Malformed(String),
    #[error("the manifest was made by another site key than the one given")]
    OtherKey,
    #[error("the footage checkpoint's signature does not verify")]
    CheckpointSignature,
    #[error("file {name}: missing from the archive")]
    Missing { name: String },
    #[error("file {name}: {what}")]
    FileDiffers { name: String, what: String },
    #[error("segment {file}: {what}")]
    Segment { file: String, what: String },
}

/// A file of the archive as the checker read it: its length and SHA-256.
pub struct ReadFile {
    pub bytes: u64,
    pub sha256: String,
}

impl ExportManifest {
    /// The manifest's exact bytes, as signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest serialises")
    }
}

/// Checks an export: the signature over `manifest_bytes` with
/// `site_public_key` (hex, obtained outside the archive), then each file
/// against the manifest (`read` gives a file's length and SHA-256, `None`
/// if it is not in the archive), then each segment: its file's SHA-256 is
/// its sealed row's, the row's hash is its content's, and the row proves
/// into the signed checkpoint (or is marked pending). Returns the manifest.
pub fn verify_export(
    manifest_bytes: &[u8],
    signature_hex: &str,
    site_public_key: &str,
    read: impl Fn(&str) -> Option<ReadFile>,
) -> Result<ExportManifest, ExportError> {
    if !verify(site_public_key, manifest_bytes, signature_hex) {
        return Err(ExportError::ManifestSignature);
    }
    let manifest: ExportManifest =
        serde_json::from_slice(manifest_bytes).map_err(|e| ExportError::Malformed(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(ExportError::Malformed(format!(
            "format {:?}, not {FORMAT:?}",
            manifest.format
        )));
    }
    if manifest.recorder_public_key != site_public_key {
        return Err(ExportError::OtherKey);
    }
    if !verify(
        site_public_key,
        &manifest.checkpoint.signing_bytes(),
        &manifest.checkpoint_signature,
    ) {
        return Err(ExportError::CheckpointSignature);
    }
    if let Some(bad) = manifest.files.iter().find(|f| !is_archive_path(&f.name)) {
        return Err(ExportError::Malformed(format!(
            "file name {:?} is not a plain path inside the archive",
            bad.name
        )));
    }
    for file in &manifest.files {
        let Some(found) = read(&file.name) else {
            return Err(ExportError::Missing {
                name: file.name.clone(),
            });
        };
        if found.bytes != file.bytes || found.sha256 != file.sha256 {
            return Err(ExportError::FileDiffers {
                name: file.name.clone(),
                what: format!(
                    "{} bytes, SHA-256 {}; the manifest says {} bytes, {}",
                    found.bytes, found.sha256, file.bytes, file.sha256
                ),
            });
        }
    }
    for segment in &manifest.segments {
        check_segment(&manifest, segment)?;
    }
    Ok(manifest)
}

/// RFC 8410: the DER of an Ed25519 SubjectPublicKeyInfo is these 12 bytes
/// and the 32-byte key.
pub const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The site's public key as an SPKI DER, what `openssl pkey -pubin` reads.
pub fn site_key_spki(public_key: &[u8]) -> Vec<u8> {
    [&ED25519_SPKI_PREFIX[..], public_key].concat()
}

/// The site key's fingerprint as an agency checks it outside an export
/// (printed by the recorder's console, stated in the reply letter): the
/// SHA-256 of its SPKI DER, as `openssl pkey -pubin -in site.pem -outform
/// DER | sha256sum` prints it.
pub fn site_key_fingerprint(public_key: &[u8]) -> String {
    crate::signing::sha256_hex(&site_key_spki(public_key))
}

/// A path inside the archive: relative, `/`-separated, each part a plain
/// name (no `..`, no hidden or empty parts), at most 255 bytes: nothing a
/// checker could be led outside the archive by.
pub fn is_archive_path(name: &str) -> bool {
    name.len() <= 255
        && name.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

fn check_segment(manifest: &ExportManifest, segment: &ManifestSegment) -> Result<(), ExportError> {
    let wrong = |what: &str| ExportError::Segment {
        file: segment.file.clone(),
        what: what.to_string(),
    };
    let listed = manifest
        .files
        .iter()
        .find(|f| f.name == segment.file)
        .ok_or_else(|| wrong("not among the manifest's files"))?;
    let row = &segment.row;
    let SegmentSeal { sha256, bytes, .. } = &row.seal;
    if *sha256 != listed.sha256 || *bytes != listed.bytes {
        return Err(wrong("its bytes are not the ones sealed when it was recorded"));
    }
    if sealed_hash(&row.prev_hash, row.seq, &row.seal, row.sealed_at) != row.hash {
        return Err(wrong("its footage-log row does not match its hash"));
    }
    if row.seq > manifest.checkpoint.tree_size {
        // Sealed after the checkpoint: its proof waits for the next one.
        return if segment.pending {
            Ok(())
        } else {
            Err(wrong("sealed after the checkpoint, but not marked pending"))
        };
    }
    if segment.pending && !manifest.countersigned_by.is_empty() {
        return Err(wrong("marked pending, but the countersigned checkpoint covers it"));
    }
    let in_checkpoint = row.seq >= 1
        && verify_inclusion(
            &row.hash,
            row.seq - 1,
            manifest.checkpoint.tree_size,
            &segment.proof,
            &manifest.checkpoint.root,
        );
    if !in_checkpoint {
        return Err(wrong("its row does not prove into the signed checkpoint"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::footage_log::{MerkleTree, inclusion_proofs};
    use crate::signing::{DeviceKey, sha256_hex};

    struct Fixture {
        key: DeviceKey,
        manifest: ExportManifest,
        files: Vec<(String, Vec<u8>)>,
    }

    /// A log of 9 segments of three cameras; the export holds cam-01's
    /// three, the checkpoint covers 8 rows, so the last is pending.
    fn fixture() -> Fixture {
        let key = DeviceKey::from_seed(&[3; 32]);
        let mut rows: Vec<SealedSegment> = Vec::new();
        let mut contents = Vec::new();
        for n in 0..9i64 {
            let bytes = format!("segment {n}").repeat(10).into_bytes();
            let seal = SegmentSeal {
                camera: format!("cam-0{}", n % 3 + 1),
                start_ms: 1_795_485_600_000 + n / 3 * 60_000,
                real_start_ms: 1_795_485_600_000 + n / 3 * 60_000,
                real_end_ms: 1_795_485_660_000 + n / 3 * 60_000,
                bytes: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            };
            let prev = rows.last().map(|r| (r.seq, r.hash.as_str()));
            rows.push(SealedSegment::next(prev, seal, Timestamp(1_795_485_700_000 + n)));
            contents.push(bytes);
        }
        let hashes: Vec<String> = rows.iter().map(|r| r.hash.clone()).collect();
        let mut tree = MerkleTree::default();
        hashes[..8].iter().for_each(|h| tree.push(h));
        let checkpoint = FootageCheckpoint {
            tree_size: 8,
            root: tree.root(),
            head_hash: hashes[7].clone(),
            at: Timestamp(1_795_485_800_000),
        };
        let mine = [0usize, 3, 6]; // cam-01's
        let proofs = inclusion_proofs(&hashes, 8, &mine.map(|i| i as u64));
        let mut files = Vec::new();
        let mut segments = Vec::new();
        for (k, &i) in mine.iter().enumerate() {
            let name = format!("cam-01/{}.mp4", rows[i].seal.start_ms);
            files.push((name.clone(), contents[i].clone()));
            segments.push(ManifestSegment {
                file: name,
                row: rows[i].clone(),
                proof: proofs[k].clone(),
                pending: false,
            });
        }
        // The ninth row, sealed after the checkpoint.
        let late = format!("cam-03/{}.mp4", rows[8].seal.start_ms);
        files.push((late.clone(), contents[8].clone()));
        segments.push(ManifestSegment {
            file: late,
            row: rows[8].clone(),
            proof: Vec::new(),
            pending: true,
        });
        let manifest = ExportManifest {
            format: FORMAT.into(),
            application: "01JCUSTOSCASE0000000000001".into(),
            letter: OfficialLetter {
                number: "高市警刑字第1130001號".into(),
                date: "2026-11-30".into(),
                legal_basis: "刑事訴訟法第133條".into(),
                purpose: "偵辦竊盜案".into(),
                scope: "大門 11/30 09:00-09:03".into(),
                intended_use: "刑案偵查".into(),
            },
            operator: "林專責（專責人員）".into(),
            cameras: vec!["cam-01".into(), "cam-03".into()],
            from_ms: 1_795_485_600_000,
            to_ms: 1_795_485_780_000,
            files: files
                .iter()
                .map(|(name, bytes)| ManifestFile {
                    name: name.clone(),
                    bytes: bytes.len() as u64,
                    sha256: sha256_hex(bytes),
                })
                .collect(),
            segments,
            missing: Vec::new(),
            checkpoint_signature: key.sign(&checkpoint.signing_bytes()),
            checkpoint,
            countersigned_by: vec![ManifestCountersignature {
                name: "吳園長".into(),
                role: "head".into(),
                signed_at: Timestamp(1_795_485_900_000),
                audit_rows: 42,
            }],
            site: "高雄市立示範幼兒園".into(),
            recorder_public_key: key.public_key_hex(),
            made_at: Timestamp(1_795_486_000_000),
        };
        Fixture { key, manifest, files }
    }

    fn check(
        f: &Fixture,
        manifest: &ExportManifest,
        files: &[(String, Vec<u8>)],
    ) -> Result<ExportManifest, ExportError> {
        let bytes = manifest.to_bytes();
        let signature = f.key.sign(&bytes);
        verify_export(&bytes, &signature, &f.key.public_key_hex(), |name| {
            files.iter().find(|(n, _)| n == name).map(|(_, b)| ReadFile {
                bytes: b.len() as u64,
                sha256: sha256_hex(b),
            })
        })
    }

    #[test]
    fn an_export_verifies_and_one_changed_byte_anywhere_is_named() {
        let f = fixture();
        assert_eq!(check(&f, &f.manifest, &f.files).unwrap(), f.manifest);

        // A byte of a segment.
        let mut files = f.files.clone();
        files[1].1[5] ^= 1;
        assert!(
            matches!(check(&f, &f.manifest, &files), Err(ExportError::FileDiffers { name, .. }) if name == files[1].0)
        );
        // A name leading out of the archive.
        let mut manifest = f.manifest.clone();
        manifest.files[0].name = "../../etc/passwd".into();
        assert!(matches!(check(&f, &manifest, &f.files), Err(ExportError::Malformed(_))));
        assert!(is_archive_path("segments/cam-01/20261130T010000Z.mp4"));
        assert!(!is_archive_path("/etc/passwd") && !is_archive_path("a//b") && !is_archive_path("a/.hidden"));
        // A file gone.
        assert!(matches!(
            check(&f, &f.manifest, &f.files[1..]),
            Err(ExportError::Missing { .. })
        ));
        // The manifest's bytes after signing; its signature; another key.
        let bytes = f.manifest.to_bytes();
        let signature = f.key.sign(&bytes);
        let read = |_: &str| None;
        let mut changed = bytes.clone();
        let at = changed.len() / 2;
        changed[at] ^= 1;
        assert_eq!(
            verify_export(&changed, &signature, &f.key.public_key_hex(), read),
            Err(ExportError::ManifestSignature)
        );
        let mut bad = signature.clone().into_bytes();
        bad[0] = if bad[0] == b'0' { b'1' } else { b'0' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            verify_export(&bytes, &bad, &f.key.public_key_hex(), read),
            Err(ExportError::ManifestSignature)
        );
        let other = DeviceKey::from_seed(&[4; 32]);
        assert_eq!(
            verify_export(&bytes, &other.sign(&bytes), &other.public_key_hex(), read),
            Err(ExportError::OtherKey)
        );
    }

    #[test]
    fn a_segment_must_be_the_one_sealed_and_prove_into_the_checkpoint() {
        let f = fixture();
        // A segment replaced (file and manifest agree) but not the one sealed.
        let mut manifest = f.manifest.clone();
        let mut files = f.files.clone();
        files[0].1 = b"another recording".to_vec();
        manifest.files[0].sha256 = sha256_hex(&files[0].1);
        manifest.files[0].bytes = files[0].1.len() as u64;
        let err = check(&f, &manifest, &files).unwrap_err();
        assert!(
            matches!(&err, ExportError::Segment { what, .. } if what.contains("not the ones sealed")),
            "{err}"
        );
        // Its row re-sealed with the new bytes: the row's hash, then the proof.
        manifest.segments[0].row.seal.sha256 = manifest.files[0].sha256.clone();
        manifest.segments[0].row.seal.bytes = manifest.files[0].bytes;
        let err = check(&f, &manifest, &files).unwrap_err();
        assert!(
            matches!(&err, ExportError::Segment { what, .. } if what.contains("does not match its hash")),
            "{err}"
        );
        let row = &mut manifest.segments[0].row;
        row.hash = sealed_hash(&row.prev_hash, row.seq, &row.seal, row.sealed_at);
        let err = check(&f, &manifest, &files).unwrap_err();
        assert!(
            matches!(&err, ExportError::Segment { what, .. } if what.contains("does not prove")),
            "{err}"
        );
        // A covered segment passed off as pending; a forged checkpoint.
        let mut manifest = f.manifest.clone();
        manifest.segments[1].pending = true;
        let err = check(&f, &manifest, &f.files).unwrap_err();
        assert!(
            matches!(&err, ExportError::Segment { what, .. } if what.contains("covers it")),
            "{err}"
        );
        // The late segment passed off as proven.
        let mut manifest = f.manifest.clone();
        manifest.segments[3].pending = false;
        let err = check(&f, &manifest, &f.files).unwrap_err();
        assert!(
            matches!(&err, ExportError::Segment { what, .. } if what.contains("not marked pending")),
            "{err}"
        );
        // No countersignature yet: every segment pending, the covered ones
        // still proven into the site-signed checkpoint.
        let mut manifest = f.manifest.clone();
        manifest.countersigned_by.clear();
        manifest.segments.iter_mut().for_each(|s| s.pending = true);
        assert!(check(&f, &manifest, &f.files).is_ok());
        manifest.segments[0].proof[0] = "00".repeat(32);
        assert!(
            check(&f, &manifest, &f.files).is_err(),
            "a pending proof is still checked"
        );
        let mut manifest = f.manifest.clone();
        manifest.checkpoint.tree_size = 9;
        assert_eq!(check(&f, &manifest, &f.files), Err(ExportError::CheckpointSignature));
    }
}
