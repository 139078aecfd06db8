//! What the head's and the ethics office's devices find in the audit
//! checkpoints they hold, checked on the device: the site key's signature,
//! a chain that never shrinks, each countersignature, and the chain against
//! what this device countersigned before.

mod common;

use std::collections::BTreeMap;

use common::*;
use custos_core::audit::{Checkpoint, PublishedCheckpoint, verify_checkpoints};
use custos_core::roles::Role;
use custos_core::seal::{Seal, SealPurpose};
use custos_core::seeds::DAHU_OFFICE;
use custos_core::signing::DeviceKey;
use custos_core::time::Timestamp;

fn published(recorder: &DeviceKey, tree_size: u64, at: i64) -> (String, PublishedCheckpoint) {
    let checkpoint = Checkpoint {
        tree_size,
        head_hash: format!("{tree_size:064x}"),
        at: Timestamp(at),
    };
    let p = PublishedCheckpoint {
        tree_size,
        head_hash: checkpoint.head_hash.clone(),
        at: checkpoint.at,
        signature: recorder.sign(&checkpoint.signing_bytes()),
    };
    (p.key().to_string(), p)
}

fn countersign(fx: &mut Fixture, who: &str, role: Role, p: &PublishedCheckpoint, n: u128) -> (String, Seal) {
    let heads = fx.heads();
    let member = &fx.members[who];
    let seal = Seal::sign(
        custos_core::ids::EntryId::from_parts(NOW.0 as u64, n),
        SealPurpose::AuditCheckpoint,
        p.key(),
        p.content_hash(),
        role,
        member.id.clone(),
        heads,
        NOW,
        String::new(),
        &member.key,
    );
    (seal.id.to_string(), seal)
}

#[test]
fn the_ethics_office_finds_a_sound_trail_and_each_kind_of_fault_in_it() {
    let mut fx = Fixture::new(DAHU_OFFICE);
    fx.add("auditor", &[Role::Auditor], 1);
    fx.add("head", &[Role::Head], 2);
    fx.add("manager", &[Role::Manager], 3);
    let recorder = DeviceKey::from_seed(&[200; 32]);
    let key = recorder.public_key_hex();
    let (k1, p1) = published(&recorder, 10, NOW.0 - 3_600_000);
    let (k2, p2) = published(&recorder, 25, NOW.0);
    let checkpoints: BTreeMap<String, PublishedCheckpoint> = [(k1, p1.clone()), (k2, p2.clone())].into();
    let seals: BTreeMap<String, Seal> = [
        countersign(&mut fx, "auditor", Role::Auditor, &p1, 1),
        countersign(&mut fx, "head", Role::Head, &p2, 2),
    ]
    .into();
    let site = fx.history();
    let found = verify_checkpoints(&checkpoints, &seals, &key, &site, &[p1.checkpoint()]);
    assert!(found.sound, "{found:?}");
    assert_eq!(found.checkpoints[0].tree_size, 25, "newest first");
    assert_eq!(found.checkpoints[0].countersignatures.len(), 1);

    // A countersignature by a role that may not sign the audit chain.
    let mut forged = seals.clone();
    let (id, seal) = countersign(&mut fx, "manager", Role::Manager, &p2, 3);
    forged.insert(id, seal);
    let found = verify_checkpoints(&checkpoints, &forged, &key, &site, &[]);
    assert!(!found.sound);
    assert!(
        found.checkpoints[0]
            .countersignatures
            .iter()
            .any(|c| c.problem.is_some())
    );
    let codes: Vec<_> = found.checkpoints[0]
        .countersignatures
        .iter()
        .filter_map(|c| c.problem_code.as_deref())
        .collect();
    assert_eq!(codes, ["role_not_allowed"], "the screen says it in its own words");

    // A checkpoint the site key did not sign.
    let mut unsigned = checkpoints.clone();
    let (k3, mut p3) = published(&recorder, 30, NOW.0 + 1);
    p3.signature = DeviceKey::from_seed(&[9; 32]).sign(&p3.checkpoint().signing_bytes());
    unsigned.insert(k3, p3);
    let found = verify_checkpoints(&unsigned, &seals, &key, &site, &[]);
    assert!(!found.sound && !found.checkpoints[0].site_signature);

    // A later checkpoint of a shorter chain: rows were removed.
    let mut shrunk = checkpoints.clone();
    let (k4, p4) = published(&recorder, 5, NOW.0 + 2);
    shrunk.insert(k4, p4);
    let found = verify_checkpoints(&shrunk, &seals, &key, &site, &[]);
    assert!(!found.sound && !found.checkpoints[0].continues);

    // The checkpoint this device countersigned is gone from the recorder.
    let only_newest: BTreeMap<String, PublishedCheckpoint> = [(p2.key().to_string(), p2)].into();
    let found = verify_checkpoints(&only_newest, &seals, &key, &site, &[p1.checkpoint()]);
    assert!(!found.sound);
    assert!(found.alarm.as_deref().unwrap_or("").contains("gone"), "{found:?}");
}
