//! The audit chain: every security event the recorder sees (enrollment,
//! revocation, refused upload, accepted decision, playback, deletion) is a
//! row whose hash covers the row before it, so an edit, a deletion or a
//! truncation breaks the chain. Checkpoints (tree size and head hash) are
//! signed by the site key and countersigned by the head's and the auditor's
//! devices, so even a rewrite by someone holding the site key shows.
//!
//! Here: the hashing and the checks, pure. The recorder stores the rows.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::EntryId;
use crate::signing::{Canonical, sha256_hex, verify};
use crate::time::Timestamp;

/// The hash before the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One row of the chain as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    pub at: Timestamp,
    /// What happened, e.g. `enrollment`, `revocation`, `upload_refused`.
    pub kind: String,
    /// Who did it (person, device, or `recorder`/`console`).
    pub actor: String,
    /// The details, as JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a row given the hash before it.
pub fn row_hash(prev_hash: &str, seq: u64, at: Timestamp, kind: &str, actor: &str, detail: &str) -> String {
    let mut c = Canonical::new("custos/audit/v1");
    c.str("prev", prev_hash)
        .str("seq", &seq.to_string())
        .str("at", &at.0.to_string())
        .str("kind", kind)
        .str("actor", actor)
        .str("detail", detail);
    sha256_hex(&c.into_bytes())
}

impl AuditRow {
    /// The row that follows `prev` (or starts the chain).
    pub fn next(prev: Option<&AuditRow>, at: Timestamp, kind: &str, actor: &str, detail: &str) -> AuditRow {
        let (seq, prev_hash) = match prev {
            Some(p) => (p.seq + 1, p.hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let hash = row_hash(&prev_hash, seq, at, kind, actor, detail);
        AuditRow {
            seq,
            at,
            kind: kind.into(),
            actor: actor.into(),
            detail: detail.into(),
            prev_hash,
            hash,
        }
    }
}

/// What is wrong with a chain, naming the first bad row.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ChainError {
    #[error("row {seq}: its content does not match its hash (edited)")]
    Edited { seq: u64 },
    #[error("row {seq}: does not follow row {prev} (a row was deleted or inserted)")]
    Broken { seq: u64, prev: u64 },
    #[error("the chain has {have} rows but a checkpoint covers {checkpoint} (truncated)")]
    Truncated { have: u64, checkpoint: u64 },
    #[error("checkpoint at {tree_size} rows: head hash {expected} but the chain has {actual} there (rewritten)")]
    CheckpointMismatch {
        tree_size: u64,
        expected: String,
        actual: String,
    },
}

/// Checks every row in order. `rows` must be sorted by `seq` as stored.
pub fn verify_chain(rows: &[AuditRow]) -> Result<(), ChainError> {
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut prev_seq = 0;
    for row in rows {
        if row.seq != prev_seq + 1 || row.prev_hash != prev_hash {
            return Err(ChainError::Broken {
                seq: row.seq,
                prev: prev_seq,
            });
        }
        if row_hash(&row.prev_hash, row.seq, row.at, &row.kind, &row.actor, &row.detail) != row.hash {
            return Err(ChainError::Edited { seq: row.seq });
        }
        prev_hash = row.hash.clone();
        prev_seq = row.seq;
    }
    Ok(())
}

/// A signed statement of the chain's size and head: what devices countersign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub tree_size: u64,
    pub head_hash: String,
    pub at: Timestamp,
}

impl Checkpoint {
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("custos/audit-checkpoint/v1");
        c.str("tree_size", &self.tree_size.to_string())
            .str("head_hash", &self.head_hash)
            .str("at", &self.at.0.to_string());
        c.into_bytes()
    }

    /// Whether the (already verified) chain agrees with this checkpoint.
    pub fn check_against(&self, rows: &[AuditRow]) -> Result<(), ChainError> {
        if self.tree_size == 0 {
            return Ok(());
        }
        let have = rows.last().map_or(0, |r| r.seq);
        if have < self.tree_size {
            return Err(ChainError::Truncated {
                have,
                checkpoint: self.tree_size,
            });
        }
        let actual = &rows[(self.tree_size - 1) as usize].hash;
        if actual != &self.head_hash {
            return Err(ChainError::CheckpointMismatch {
                tree_size: self.tree_size,
                expected: self.head_hash.clone(),
                actual: actual.clone(),
            });
        }
        Ok(())
    }
}

/// A checkpoint as published in the `audit` document, signed by the site key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PublishedCheckpoint {
    pub tree_size: u64,
    pub head_hash: String,
    pub at: Timestamp,
    /// The site key's Ed25519 signature over [`Checkpoint::signing_bytes`], hex.
    pub signature: String,
}

impl PublishedCheckpoint {
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            tree_size: self.tree_size,
            head_hash: self.head_hash.clone(),
            at: self.at,
        }
    }

    /// The key under which it is stored: a ULID made of its time and size,
    /// so the same checkpoint always has the same key.
    pub fn key(&self) -> EntryId {
        EntryId::from_parts(self.at.0.max(0) as u64, u128::from(self.tree_size))
    }

    /// What a countersignature ([`crate::seal::Seal`]) signs.
    pub fn content_hash(&self) -> String {
        crate::seal::content_hash("custos/audit-checkpoint-entry/v1", self)
    }
}

/// Why a countersigning device no longer trusts the recorder's audit trail.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AuditAlarm {
    #[error(
        "the recorder now shows an audit trail of {shown} rows, smaller than the {countersigned} rows this device countersigned: rows were removed"
    )]
    Smaller { shown: u64, countersigned: u64 },
    #[error("the audit trail at {tree_size} rows is not the one this device countersigned: it was rewritten")]
    Different { tree_size: u64 },
    #[error("the checkpoint at {tree_size} rows that this device countersigned is gone from the recorder")]
    Gone { tree_size: u64 },
    #[error("a checkpoint at {tree_size} rows is not signed by this site's recorder key")]
    BadSignature { tree_size: u64 },
}

impl AuditAlarm {
    /// A stable name for the screens, which say it in the reader's language.
    pub fn code(&self) -> &'static str {
        match self {
            AuditAlarm::Smaller { .. } => "smaller",
            AuditAlarm::Different { .. } => "different",
            AuditAlarm::Gone { .. } => "gone",
            AuditAlarm::BadSignature { .. } => "bad_signature",
        }
    }
}

/// What a head's or auditor's device makes of the checkpoints the recorder
/// publishes, given those it countersigned before (kept on the device, out
/// of the recorder's reach): an alarm, or the newest checkpoint if it still
/// needs this device's countersignature.
pub fn review_checkpoints<'a>(
    published: impl IntoIterator<Item = &'a PublishedCheckpoint>,
    recorder_public_key: &str,
    countersigned: &[Checkpoint],
) -> Result<Option<&'a PublishedCheckpoint>, AuditAlarm> {
    let published: Vec<&PublishedCheckpoint> = published.into_iter().collect();
    for p in &published {
        if !verify(recorder_public_key, &p.checkpoint().signing_bytes(), &p.signature) {
            return Err(AuditAlarm::BadSignature { tree_size: p.tree_size });
        }
    }
    for mine in countersigned {
        match published.iter().find(|p| p.tree_size == mine.tree_size) {
            None => {
                return Err(AuditAlarm::Gone {
                    tree_size: mine.tree_size,
                });
            }
            Some(p) if p.head_hash != mine.head_hash => {
                return Err(AuditAlarm::Different {
                    tree_size: mine.tree_size,
                });
            }
            Some(_) => {}
        }
    }
    // The tree the recorder shows now is its newest checkpoint.
    let newest = published.iter().copied().max_by_key(|p| (p.at, p.tree_size));
    let most_countersigned = countersigned.iter().map(|c| c.tree_size).max().unwrap_or(0);
    match newest {
        Some(n) if n.tree_size < most_countersigned => Err(AuditAlarm::Smaller {
            shown: n.tree_size,
            countersigned: most_countersigned,
        }),
        Some(n) if n.tree_size > most_countersigned => Ok(Some(n)),
        _ => Ok(None),
    }
}

/// One countersignature of a checkpoint, as a device checked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountersignFinding {
    pub signer: crate::ids::PersonId,
    pub role: crate::roles::Role,
    pub signed_at: Timestamp,
    /// Why it does not count, in words; `None`: it holds.
    pub problem: Option<String>,
    /// The same as [`crate::seal::SealError::code`], for the screen's own
    /// words (a review kept by an older build has none).
    #[serde(default)]
    pub problem_code: Option<String>,
}

/// One published checkpoint, as a device checked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckpointFinding {
    pub tree_size: u64,
    pub at: Timestamp,
    /// Signed by this site's recorder key.
    pub site_signature: bool,
    /// Its chain is no shorter than the checkpoint before it in time.
    pub continues: bool,
    pub countersignatures: Vec<CountersignFinding>,
}

/// What a device found in the audit checkpoints it holds, checked by
/// itself rather than taken from the recorder's word: each checkpoint's
/// site-key signature, that the chain never shrinks from one to the next,
/// each countersignature against the site as its signer saw it, and the
/// chain against what this device countersigned before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AuditFindings {
    /// Newest first.
    pub checkpoints: Vec<CheckpointFinding>,
    /// Against this device's own countersignatures ([`review_checkpoints`]).
    pub alarm: Option<String>,
    /// The same as [`AuditAlarm::code`] (a review kept by an older build has none).
    #[serde(default)]
    pub alarm_code: Option<String>,
    /// Whether everything above holds.
    pub sound: bool,
}

/// Checks the published checkpoints and their countersignatures (keyed as
/// stored) as [`AuditFindings`] says.
pub fn verify_checkpoints(
    published: &std::collections::BTreeMap<String, PublishedCheckpoint>,
    countersignatures: &std::collections::BTreeMap<String, crate::seal::Seal>,
    recorder_public_key: &str,
    site: &crate::history::SiteHistory,
    countersigned_here: &[Checkpoint],
) -> AuditFindings {
    use crate::permissions::{Access, Register, fixed_roles};
    let allowed = fixed_roles(Register::Audit, Access::Sign);
    let mut by_time: Vec<(&String, &PublishedCheckpoint)> = published.iter().collect();
    by_time.sort_by_key(|(_, p)| (p.at, p.tree_size));
    let mut largest = 0;
    let mut checkpoints = Vec::with_capacity(by_time.len());
    for (key, p) in by_time {
        let continues = p.tree_size >= largest;
        largest = largest.max(p.tree_size);
        let countersignatures = countersignatures
            .iter()
            .filter(|(_, seal)| seal.subject.as_str() == key.as_str())
            .map(|(seal_key, seal)| {
                let problem = seal.verify(seal_key, &p.content_hash(), allowed, site).err();
                CountersignFinding {
                    signer: seal.signer.clone(),
                    role: seal.role,
                    signed_at: seal.signed_at,
                    problem_code: problem.as_ref().map(|e| e.code().to_string()),
                    problem: problem.map(|e| e.to_string()),
                }
            })
            .collect();
        checkpoints.push(CheckpointFinding {
            tree_size: p.tree_size,
            at: p.at,
            site_signature: verify(recorder_public_key, &p.checkpoint().signing_bytes(), &p.signature),
            continues,
            countersignatures,
        });
    }
    checkpoints.reverse();
    let alarm = review_checkpoints(published.values(), recorder_public_key, countersigned_here).err();
    let sound = alarm.is_none()
        && checkpoints
            .iter()
            .all(|c| c.site_signature && c.continues && c.countersignatures.iter().all(|s| s.problem.is_none()));
    AuditFindings {
        checkpoints,
        alarm_code: alarm.as_ref().map(|a| a.code().to_string()),
        alarm: alarm.map(|a| a.to_string()),
        sound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditRow> {
        let mut rows: Vec<AuditRow> = Vec::new();
        for i in 0..n {
            let row = AuditRow::next(
                rows.last(),
                Timestamp(i as i64),
                "enrollment",
                "console",
                &format!("{{\"n\":{i}}}"),
            );
            rows.push(row);
        }
        rows
    }

    #[test]
    fn an_untouched_chain_verifies() {
        verify_chain(&chain(5)).unwrap();
        verify_chain(&[]).unwrap();
    }

    #[test]
    fn edits_deletions_and_insertions_name_the_first_bad_row() {
        let mut edited = chain(5);
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(verify_chain(&edited), Err(ChainError::Edited { seq: 3 }));

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(verify_chain(&deleted), Err(ChainError::Broken { seq: 3, prev: 1 }));

        // Rewriting a row and re-hashing everything after it still breaks the checkpoint.
        let original = chain(5);
        let checkpoint = Checkpoint {
            tree_size: 4,
            head_hash: original[3].hash.clone(),
            at: Timestamp(9),
        };
        let mut rewritten: Vec<AuditRow> = Vec::new();
        for (i, row) in original.iter().enumerate() {
            let detail = if i == 1 {
                "{\"n\":\"forged\"}"
            } else {
                row.detail.as_str()
            };
            let next = AuditRow::next(rewritten.last(), row.at, &row.kind, &row.actor, detail);
            rewritten.push(next);
        }
        verify_chain(&rewritten).unwrap();
        assert!(matches!(
            checkpoint.check_against(&rewritten),
            Err(ChainError::CheckpointMismatch { tree_size: 4, .. })
        ));
        checkpoint.check_against(&original).unwrap();
    }

    #[test]
    fn a_countersigning_device_sees_a_smaller_rewritten_or_vanished_tree() {
        let site = crate::signing::DeviceKey::from_seed(&[9; 32]);
        let publish = |rows: &[AuditRow], at: i64| {
            let c = Checkpoint {
                tree_size: rows.len() as u64,
                head_hash: rows.last().unwrap().hash.clone(),
                at: Timestamp(at),
            };
            PublishedCheckpoint {
                signature: site.sign(&c.signing_bytes()),
                tree_size: c.tree_size,
                head_hash: c.head_hash,
                at: c.at,
            }
        };
        let key = site.public_key_hex();
        let rows = chain(6);
        let first = publish(&rows[..4], 10);
        // Nothing countersigned yet: the newest is to be countersigned.
        assert_eq!(review_checkpoints([&first], &key, &[]), Ok(Some(&first)));
        let mine = vec![first.checkpoint()];
        assert_eq!(review_checkpoints([&first], &key, &mine), Ok(None));
        let second = publish(&rows, 20);
        assert_eq!(review_checkpoints([&first, &second], &key, &mine), Ok(Some(&second)));

        // Rows removed and a new, smaller checkpoint signed later.
        let truncated = publish(&rows[..2], 30);
        assert_eq!(
            review_checkpoints([&first, &truncated], &key, &mine),
            Err(AuditAlarm::Smaller {
                shown: 2,
                countersigned: 4
            })
        );
        // The countersigned one deleted.
        assert_eq!(
            review_checkpoints([&second], &key, &mine),
            Err(AuditAlarm::Gone { tree_size: 4 })
        );
        // Rewritten at the same size and re-signed with the site key.
        let mut forged_rows = rows[..4].to_vec();
        forged_rows[3].hash = "f".repeat(64);
        let rewritten = publish(&forged_rows, 40);
        assert_eq!(
            review_checkpoints([&rewritten], &key, &mine),
            Err(AuditAlarm::Different { tree_size: 4 })
        );
        // Signed by some other key.
        let mut unsigned = second.clone();
        unsigned.signature = crate::signing::DeviceKey::from_seed(&[1; 32]).sign(b"x");
        assert_eq!(
            review_checkpoints([&first, &unsigned], &key, &mine),
            Err(AuditAlarm::BadSignature { tree_size: 6 })
        );
    }

    #[test]
    fn truncation_below_a_checkpoint_shows() {
        let rows = chain(5);
        let checkpoint = Checkpoint {
            tree_size: 5,
            head_hash: rows[4].hash.clone(),
            at: Timestamp(9),
        };
        assert_eq!(
            checkpoint.check_against(&rows[..3]),
            Err(ChainError::Truncated { have: 3, checkpoint: 5 })
        );
    }
}
