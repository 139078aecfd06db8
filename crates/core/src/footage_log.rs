//! 影像封存紀錄: the footage log. Each recorded segment, as it is closed, is
//! sealed: its camera, name, span, size and SHA-256 become a row whose hash
//! covers the row before it, so a segment rewritten on the recorder's disk,
//! or one removed without a destruction record, shows against its row.
//! Checkpoints sign a Merkle tree of the rows (RFC 6962's), so an export
//! can prove one segment's place with a short inclusion proof that says
//! nothing of the other cameras; each checkpoint is also written to the
//! audit chain, whose checkpoints the head's and the auditor's devices
//! countersign.
//!
//! Here: the hashing and the checks, pure. The recorder stores the rows and
//! reads the files.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::audit::{ChainError, GENESIS_HASH};
use crate::ids::EntryId;
use crate::signing::{Canonical, sha256_hex, verify};
use crate::time::Timestamp;

/// What is sealed of one segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentSeal {
    pub camera: String,
    /// The file's name: its nominal start (ms since 1970).
    pub start_ms: i64,
    /// Where its footage starts and ends as the recorder placed it when it sealed it.
    pub real_start_ms: i64,
    pub real_end_ms: i64,
    pub bytes: u64,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// One row of the footage log as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSegment {
    /// 1, 2, 3, ... without gaps.
    pub seq: u64,
    pub seal: SegmentSeal,
    pub sealed_at: Timestamp,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a row given the hash before it.
pub fn sealed_hash(prev_hash: &str, seq: u64, seal: &SegmentSeal, sealed_at: Timestamp) -> String {
    let mut c = Canonical::new("custos/footage/v1");
    c.str("prev", prev_hash)
        .str("seq", &seq.to_string())
        .str("camera", &seal.camera)
        .str("start", &seal.start_ms.to_string())
        .str("real_start", &seal.real_start_ms.to_string())
        .str("real_end", &seal.real_end_ms.to_string())
        .str("bytes", &seal.bytes.to_string())
        .str("sha256", &seal.sha256)
        .str("sealed_at", &sealed_at.0.to_string());
    sha256_hex(&c.into_bytes())
}

impl SealedSegment {
    /// The row that follows `prev` (or starts the log).
    pub fn next(prev: Option<(u64, &str)>, seal: SegmentSeal, sealed_at: Timestamp) -> SealedSegment {
        let (seq, prev_hash) = match prev {
            Some((seq, hash)) => (seq + 1, hash.to_string()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let hash = sealed_hash(&prev_hash, seq, &seal, sealed_at);
        SealedSegment {
            seq,
            seal,
            sealed_at,
            prev_hash,
            hash,
        }
    }
}

/// Checks rows one at a time, in order, holding only the last one's hash:
/// a year of 32 cameras is 17 million rows.
#[derive(Debug)]
pub struct FootageChainCheck {
    prev_seq: u64,
    prev_hash: String,
    tree: MerkleTree,
}

impl Default for FootageChainCheck {
    fn default() -> Self {
        FootageChainCheck {
            prev_seq: 0,
            prev_hash: GENESIS_HASH.to_string(),
            tree: MerkleTree::default(),
        }
    }
}

impl FootageChainCheck {
    /// The next row, as stored.
    pub fn push(&mut self, row: &SealedSegment) -> Result<(), ChainError> {
        if row.seq != self.prev_seq + 1 || row.prev_hash != self.prev_hash {
            return Err(ChainError::Broken {
                seq: row.seq,
                prev: self.prev_seq,
            });
        }
        if sealed_hash(&row.prev_hash, row.seq, &row.seal, row.sealed_at) != row.hash {
            return Err(ChainError::Edited { seq: row.seq });
        }
        self.tree.push(&row.hash);
        self.prev_seq = row.seq;
        self.prev_hash = row.hash.clone();
        Ok(())
    }

    /// Rows checked so far.
    pub fn size(&self) -> u64 {
        self.prev_seq
    }

    /// The Merkle root of the rows checked so far.
    pub fn root(&self) -> String {
        self.tree.root()
    }

    /// The hash of the last row checked.
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

type Digest = [u8; 32];

fn sha256(parts: &[&[u8]]) -> Digest {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

/// A leaf of the tree: a row's hash (hex), as RFC 6962 hashes a leaf.
fn leaf(row_hash: &str) -> Digest {
    sha256(&[&[0x00], row_hash.as_bytes()])
}

fn node(left: &Digest, right: &Digest) -> Digest {
    sha256(&[&[0x01], left, right])
}

/// RFC 6962's Merkle tree hash of rows pushed in order, kept as the roots
/// of its complete subtrees (at most 64): memory for a log of any length.
#[derive(Debug, Default, Clone)]
pub struct MerkleTree {
    /// (leaves, hash) of each complete subtree, largest first.
    subtrees: Vec<(u64, Digest)>,
}

impl MerkleTree {
    pub fn push(&mut self, row_hash: &str) {
        let mut carry = (1u64, leaf(row_hash));
        while let Some(&(size, hash)) = self.subtrees.last() {
            if size != carry.0 {
                break;
            }
            self.subtrees.pop();
            carry = (size * 2, node(&hash, &carry.1));
        }
        self.subtrees.push(carry);
    }

    /// Rows pushed.
    pub fn size(&self) -> u64 {
        self.subtrees.iter().map(|(n, _)| n).sum()
    }

    /// Its complete subtrees, (leaves, hex hash), largest first: enough to
    /// push more rows later without reading the earlier ones again.
    pub fn frontier(&self) -> Vec<(u64, String)> {
        self.subtrees.iter().map(|(n, h)| (*n, hex::encode(h))).collect()
    }

    /// The tree a [`MerkleTree::frontier`] describes; `None` if it cannot be
    /// one (sizes not distinct powers of two, largest first; bad hex).
    pub fn from_frontier(frontier: &[(u64, String)]) -> Option<MerkleTree> {
        let mut subtrees = Vec::with_capacity(frontier.len());
        for (i, (n, hash)) in frontier.iter().enumerate() {
            let smaller = frontier.get(i + 1).is_none_or(|(next, _)| next < n);
            if !n.is_power_of_two() || !smaller {
                return None;
            }
            let mut d = [0u8; 32];
            hex::decode_to_slice(hash, &mut d).ok()?;
            subtrees.push((*n, d));
        }
        Some(MerkleTree { subtrees })
    }

    /// The root (hex); the hash of nothing for an empty tree.
    pub fn root(&self) -> String {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, mut acc)) = subtrees.next() else {
            return hex::encode(sha256(&[]));
        };
        for (_, left) in subtrees {
            acc = node(left, &acc);
        }
        hex::encode(acc)
    }
}

/// The audit path of row `index` (0-based) in the tree of `row_hashes`,
/// leaf to root (RFC 6962 §2.1.1).
pub fn inclusion_proof(row_hashes: &[String], index: usize) -> Vec<String> {
    fn subtree(hashes: &[String]) -> Digest {
        let mut tree = MerkleTree::default();
        hashes.iter().for_each(|h| tree.push(h));
        let mut out = [0u8; 32];
        hex::decode_to_slice(tree.root(), &mut out).expect("hex made above");
        out
    }
    fn path(hashes: &[String], index: usize, out: &mut Vec<String>) {
        if hashes.len() <= 1 {
            return;
        }
        let k = split(hashes.len());
        if index < k {
            path(&hashes[..k], index, out);
            out.push(hex::encode(subtree(&hashes[k..])));
        } else {
            path(&hashes[k..], index - k, out);
            out.push(hex::encode(subtree(&hashes[..k])));
        }
    }
    let mut out = Vec::new();
    if index < row_hashes.len() {
        path(row_hashes, index, &mut out);
    }
    out
}

/// The audit paths of several rows at once, leaf to root, in one pass over
/// the row hashes in order: what an export of a few hundred segments out of
/// a log of millions needs, in memory for the paths alone. Each sibling on
/// a path is a range of rows whose tree is made of complete, aligned
/// subtrees; the pass keeps those it comes across, and each path is then
/// folded from them. Agrees with [`inclusion_proof`]; an index not below
/// `size` gets an empty path.
pub fn inclusion_proofs<S: AsRef<str>>(
    row_hashes: impl IntoIterator<Item = S>,
    size: u64,
    indices: &[u64],
) -> Vec<Vec<String>> {
    fn siblings(size: u64, index: u64) -> Vec<(u64, u64)> {
        let (mut lo, mut hi, mut out) = (0u64, size, Vec::new());
        while hi - lo > 1 {
            let k = split((hi - lo) as usize) as u64;
            if index < lo + k {
                out.push((lo + k, hi));
                hi = lo + k;
            } else {
                out.push((lo, lo + k));
                lo += k;
            }
        }
        out.reverse();
        out
    }
    /// A range's complete subtrees, largest first: (start, leaves).
    fn pieces((start, end): (u64, u64)) -> Vec<(u64, u64)> {
        let (mut at, mut out) = (start, Vec::new());
        while at < end {
            let piece = 1u64 << (63 - (end - at).leading_zeros());
            out.push((at, piece));
            at += piece;
        }
        out
    }
    let paths: Vec<Vec<(u64, u64)>> = indices
        .iter()
        .map(|&i| if i < size { siblings(size, i) } else { Vec::new() })
        .collect();
    let wanted: std::collections::BTreeSet<(u64, u64)> = paths.iter().flatten().flat_map(|r| pieces(*r)).collect();
    let mut kept: std::collections::BTreeMap<(u64, u64), Digest> = std::collections::BTreeMap::new();
    let mut stack: Vec<(u64, u64, Digest)> = Vec::new();
    for (n, hash) in row_hashes.into_iter().take(size as usize).enumerate() {
        let mut carry = (n as u64, 1u64, leaf(hash.as_ref()));
        loop {
            if wanted.contains(&(carry.0, carry.1)) {
                kept.insert((carry.0, carry.1), carry.2);
            }
            match stack.last() {
                Some(&(start, leaves, left)) if leaves == carry.1 => {
                    stack.pop();
                    carry = (start, leaves * 2, node(&left, &carry.2));
                }
                _ => break,
            }
        }
        stack.push(carry);
    }
    paths
        .iter()
        .map(|path| {
            path.iter()
                .filter_map(|range| {
                    let mut digests = pieces(*range).into_iter().rev().map(|p| kept.get(&p).copied());
                    let mut acc = digests.next()??;
                    for left in digests {
                        acc = node(&left?, &acc);
                    }
                    Some(hex::encode(acc))
                })
                .collect()
        })
        .collect()
}

/// The largest power of two below `n` (n > 1): where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Whether `proof` places `row_hash` at `index` in a tree of `size` rows
/// whose root is `root` (hex).
pub fn verify_inclusion(row_hash: &str, index: u64, size: u64, proof: &[String], root: &str) -> bool {
    fn walk(hash: Digest, index: u64, size: u64, proof: &[Digest]) -> Option<Digest> {
        if size <= 1 {
            return proof.is_empty().then_some(hash);
        }
        let (last, rest) = proof.split_last()?;
        let k = split(size as usize) as u64;
        if index < k {
            Some(node(&walk(hash, index, k, rest)?, last))
        } else {
            Some(node(last, &walk(hash, index - k, size - k, rest)?))
        }
    }
    let mut digests = Vec::with_capacity(proof.len());
    for p in proof {
        let mut d = [0u8; 32];
        if hex::decode_to_slice(p, &mut d).is_err() {
            return false;
        }
        digests.push(d);
    }
    // The path was built leaf first; `walk` consumes it root first.
    index < size && walk(leaf(row_hash), index, size, &digests).is_some_and(|r| hex::encode(r) == root)
}

/// A signed statement of the footage log's size, Merkle root and head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FootageCheckpoint {
    pub tree_size: u64,
    pub root: String,
    pub head_hash: String,
    pub at: Timestamp,
}

impl FootageCheckpoint {
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut c = Canonical::new("custos/footage-checkpoint/v1");
        c.str("tree_size", &self.tree_size.to_string())
            .str("root", &self.root)
            .str("head_hash", &self.head_hash)
            .str("at", &self.at.0.to_string());
        c.into_bytes()
    }
}

/// A footage checkpoint as published in the `audit` document (collection
/// [`crate::documents::FOOTAGE_CHECKPOINTS`]), signed by the site key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PublishedFootageCheckpoint {
    pub tree_size: u64,
    pub root: String,
    pub head_hash: String,
    pub at: Timestamp,
    /// The site key's Ed25519 signature over [`FootageCheckpoint::signing_bytes`], hex.
    pub signature: String,
}

impl PublishedFootageCheckpoint {
    pub fn checkpoint(&self) -> FootageCheckpoint {
        FootageCheckpoint {
            tree_size: self.tree_size,
            root: self.root.clone(),
            head_hash: self.head_hash.clone(),
            at: self.at,
        }
    }

    /// The key under which it is stored: the same checkpoint, the same key.
    pub fn key(&self) -> EntryId {
        EntryId::from_parts(self.at.0.max(0) as u64, u128::from(self.tree_size))
    }
}

/// A sealed segment the recorder's re-hash found not as sealed (collection
/// [`crate::documents::FOOTAGE_FINDINGS`], keyed by its seal's number):
/// the recorder's word, shown to the ethics office as such.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FootageFinding {
    pub camera: String,
    pub file: String,
    pub seq: u64,
    /// Gone without a destruction record (else its bytes differ).
    pub missing: bool,
    /// What differs, in the recorder's words.
    pub detail: String,
    pub found_at: Timestamp,
}

impl FootageFinding {
    /// Its key: one entry per sealed segment, found again or not.
    pub fn key(&self) -> String {
        format!("{:012}", self.seq)
    }
}

/// What an ethics office's or head's device makes of the footage log's
/// statements in the `audit` document: the newest checkpoint and whether
/// the site key signed it and the log never shrank, and the findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FootageReview {
    /// Segments sealed as of the newest checkpoint, and when.
    pub sealed: u64,
    pub checked_at: Option<Timestamp>,
    /// Every checkpoint is signed by this site's recorder key.
    pub signed: bool,
    /// No checkpoint covers fewer segments than one before it.
    pub continues: bool,
    /// Newest first.
    pub findings: Vec<FootageFinding>,
}

impl FootageReview {
    pub fn sound(&self) -> bool {
        self.signed && self.continues && self.findings.is_empty()
    }
}

/// Checks the published footage checkpoints (signature, never shrinking)
/// and gathers the findings, as [`FootageReview`] says.
pub fn review_footage<'a>(
    published: impl IntoIterator<Item = &'a PublishedFootageCheckpoint>,
    findings: impl IntoIterator<Item = &'a FootageFinding>,
    recorder_public_key: &str,
) -> FootageReview {
    let mut checkpoints: Vec<&PublishedFootageCheckpoint> = published.into_iter().collect();
    checkpoints.sort_by_key(|c| (c.at, c.tree_size));
    let mut findings: Vec<FootageFinding> = findings.into_iter().cloned().collect();
    findings.sort_by(|a, b| b.found_at.cmp(&a.found_at).then(a.seq.cmp(&b.seq)));
    FootageReview {
        sealed: checkpoints.last().map_or(0, |c| c.tree_size),
        checked_at: checkpoints.last().map(|c| c.at),
        signed: checkpoints
            .iter()
            .all(|c| verify(recorder_public_key, &c.checkpoint().signing_bytes(), &c.signature)),
        continues: checkpoints.windows(2).all(|w| w[0].tree_size <= w[1].tree_size),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(n: i64) -> SegmentSeal {
        SegmentSeal {
            camera: format!("cam-0{}", n % 3),
            start_ms: 1_795_485_600_000 + n * 60_000,
            real_start_ms: 1_795_485_600_300 + n * 60_000,
            real_end_ms: 1_795_485_660_300 + n * 60_000,
            bytes: 1_000 + n as u64,
            sha256: sha256_hex(&n.to_be_bytes()),
        }
    }

    fn log(n: i64) -> Vec<SealedSegment> {
        let mut rows: Vec<SealedSegment> = Vec::new();
        for i in 0..n {
            let prev = rows.last().map(|r| (r.seq, r.hash.as_str()));
            let row = SealedSegment::next(prev, seal(i), Timestamp(1_795_485_700_000 + i));
            rows.push(row);
        }
        rows
    }

    fn check(rows: &[SealedSegment]) -> Result<FootageChainCheck, ChainError> {
        let mut check = FootageChainCheck::default();
        for row in rows {
            check.push(row)?;
        }
        Ok(check)
    }

    #[test]
    fn an_edited_removed_or_inserted_row_breaks_the_log() {
        let rows = log(5);
        assert_eq!(check(&rows).unwrap().size(), 5);
        let mut edited = rows.clone();
        edited[2].seal.sha256 = sha256_hex(b"another file");
        assert_eq!(check(&edited).unwrap_err(), ChainError::Edited { seq: 3 });
        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(check(&removed).unwrap_err(), ChainError::Broken { seq: 3, prev: 1 });
        let mut moved = rows.clone();
        moved[3].sealed_at = Timestamp(0);
        assert_eq!(check(&moved).unwrap_err(), ChainError::Edited { seq: 4 });
    }

    /// RFC 6962's definition, recursively, to check the streaming one against.
    fn reference_root(hashes: &[String]) -> Digest {
        match hashes.len() {
            0 => sha256(&[]),
            1 => leaf(&hashes[0]),
            n => {
                let k = split(n);
                node(&reference_root(&hashes[..k]), &reference_root(&hashes[k..]))
            }
        }
    }

    #[test]
    fn the_root_is_rfc_6962s_and_every_row_proves_its_place_in_it() {
        for n in [0usize, 1, 2, 3, 4, 5, 7, 8, 9, 31, 33] {
            let hashes: Vec<String> = log(n as i64).into_iter().map(|r| r.hash).collect();
            let mut tree = MerkleTree::default();
            hashes.iter().for_each(|h| tree.push(h));
            let root = tree.root();
            assert_eq!(root, hex::encode(reference_root(&hashes)), "{n} rows");
            for (i, hash) in hashes.iter().enumerate() {
                let proof = inclusion_proof(&hashes, i);
                assert!(proof.len() <= 6, "short: {} hashes for {n} rows", proof.len());
                assert!(
                    verify_inclusion(hash, i as u64, n as u64, &proof, &root),
                    "row {i} of {n}"
                );
                // Not at another place, not for another row, not with another path.
                assert!(!verify_inclusion(hash, (i as u64 + 1) % n as u64, n as u64, &proof, &root) || n == 1);
                assert!(!verify_inclusion(&sha256_hex(b"x"), i as u64, n as u64, &proof, &root));
                // (The tree's size is the signed checkpoint's, not the proof's.)
                if !proof.is_empty() {
                    let mut forged = proof.clone();
                    let flipped = if forged[0].starts_with('0') { "1" } else { "0" };
                    forged[0].replace_range(..1, flipped);
                    assert!(
                        !verify_inclusion(hash, i as u64, n as u64, &forged, &root),
                        "a forged path"
                    );
                }
            }
        }
    }

    #[test]
    fn the_paths_of_many_rows_in_one_pass_are_each_rows_own() {
        for n in [1u64, 2, 3, 5, 8, 13, 31, 32, 33, 64, 100] {
            let hashes: Vec<String> = log(n as i64).into_iter().map(|r| r.hash).collect();
            let mut tree = MerkleTree::default();
            hashes.iter().for_each(|h| tree.push(h));
            let root = tree.root();
            let indices: Vec<u64> = (0..n).chain([n, n + 7]).collect();
            let paths = inclusion_proofs(&hashes, n, &indices);
            for (&i, path) in indices.iter().zip(&paths) {
                if i >= n {
                    assert!(path.is_empty(), "no row {i} in {n}");
                    continue;
                }
                assert_eq!(path, &inclusion_proof(&hashes, i as usize), "row {i} of {n}");
                assert!(verify_inclusion(&hashes[i as usize], i, n, path, &root));
            }
        }
        // A checkpoint smaller than the log: the rows after it are not read.
        let hashes: Vec<String> = log(40).into_iter().map(|r| r.hash).collect();
        assert_eq!(
            inclusion_proofs(&hashes, 25, &[3])[0],
            inclusion_proof(&hashes[..25], 3)
        );
    }

    #[test]
    fn a_tree_continued_from_its_frontier_has_the_roots_of_one_built_whole() {
        let hashes: Vec<String> = log(45).into_iter().map(|r| r.hash).collect();
        let mut whole = MerkleTree::default();
        for (i, hash) in hashes.iter().enumerate() {
            let mut continued = MerkleTree::from_frontier(&whole.frontier()).unwrap();
            continued.push(hash);
            whole.push(hash);
            assert_eq!(continued.root(), whole.root(), "after {} rows", i + 1);
            assert_eq!(continued.size(), i as u64 + 1);
        }
        assert!(
            MerkleTree::from_frontier(&[(3, "00".repeat(32))]).is_none(),
            "3 is no subtree"
        );
        assert!(MerkleTree::from_frontier(&[(1, "00".repeat(32)), (2, "00".repeat(32))]).is_none());
        assert!(MerkleTree::from_frontier(&[(2, "zz".repeat(32))]).is_none());
    }

    #[test]
    fn a_device_sees_an_unsigned_or_shrinking_checkpoint_and_every_finding() {
        let key = crate::signing::DeviceKey::from_seed(&[7; 32]);
        let published = |tree_size: u64, at: i64| {
            let checkpoint = FootageCheckpoint {
                tree_size,
                root: "ab".repeat(32),
                head_hash: "cd".repeat(32),
                at: Timestamp(at),
            };
            PublishedFootageCheckpoint {
                tree_size,
                root: checkpoint.root.clone(),
                head_hash: checkpoint.head_hash.clone(),
                at: checkpoint.at,
                signature: key.sign(&checkpoint.signing_bytes()),
            }
        };
        let finding = FootageFinding {
            camera: "cam-01".into(),
            file: "20261124T020000Z.mp4".into(),
            seq: 7,
            missing: false,
            detail: "SHA-256 differs".into(),
            found_at: Timestamp(3),
        };
        let good = [published(10, 1), published(12, 2)];
        let review = review_footage(&good, [], &key.public_key_hex());
        assert!(review.sound() && review.sealed == 12 && review.checked_at == Some(Timestamp(2)));
        assert!(
            !review_footage(&good, [&finding], &key.public_key_hex()).sound(),
            "a finding"
        );
        let shrunk = [published(10, 1), published(9, 2)];
        assert!(!review_footage(&shrunk, [], &key.public_key_hex()).continues);
        let mut forged = published(13, 3);
        forged.tree_size = 14;
        assert!(!review_footage(&[forged], [], &key.public_key_hex()).signed);
        assert_eq!(FootageReview::default().findings.len(), 0);
    }

    #[test]
    fn a_checkpoint_signs_what_it_says() {
        let a = FootageCheckpoint {
            tree_size: 5,
            root: "ab".repeat(32),
            head_hash: "cd".repeat(32),
            at: Timestamp(1),
        };
        let mut b = a.clone();
        b.tree_size = 4;
        assert_ne!(a.signing_bytes(), b.signing_bytes());
    }
}
