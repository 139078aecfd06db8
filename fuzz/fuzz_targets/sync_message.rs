//! A sync message from a device, as `POST /v1/sync` takes it: the
//! recorder's bounds first (`registers::bounds::sync_message`), then
//! automerge receives it into the site document and answers, with the
//! sync state a device's first request starts from.
#![no_main]

use std::sync::OnceLock;

use automerge::Automerge;
use automerge::sync::{State, SyncDoc};
use custos_core::documents::{DocKey, genesis};
use custos_recorder::registers::bounds;
use libfuzzer_sys::fuzz_target;

fn site() -> &'static Vec<u8> {
    static SITE: OnceLock<Vec<u8>> = OnceLock::new();
    SITE.get_or_init(|| genesis(&DocKey::Site).save())
}

fuzz_target!(|data: &[u8]| {
    let Ok(message) = bounds::sync_message(data) else {
        return;
    };
    let mut doc = Automerge::load(site()).expect("the genesis loads");
    let mut state = State::new();
    if doc.receive_sync_message(&mut state, message).is_ok() {
        let _ = doc.generate_sync_message(&mut state);
    }
});
