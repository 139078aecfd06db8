//! The changes of a push, as `POST /v1/push` takes them: each through the
//! recorder's bounds (`registers::bounds::change`: an uncompressed change
//! chunk, its operations counted before automerge walks them), then the
//! batch through the write rules (`access::check_upload`) against a site
//! with an enrolled inspector, into a month's inspection log.
//! The input is a sequence of changes, each prefixed by its length (two
//! bytes, big-endian).
#![no_main]

#[path = "../../crates/core/tests/common/mod.rs"]
mod common;

use automerge::Automerge;
use common::Fixture;
use custos_core::access::{UploadContext, check_upload};
use custos_core::documents::DocKey;
use custos_core::history::SiteHistory;
use custos_core::roles::Role;
use custos_core::seeds::WANHUA_HOUSEHOLD;
use custos_recorder::registers::bounds;
use libfuzzer_sys::fuzz_target;

struct Site {
    fixture: Fixture,
    history: SiteHistory,
}

thread_local! {
    // libFuzzer runs the target on one thread; the site is made once.
    static SITE: Site = {
        let mut fixture = Fixture::new(WANHUA_HOUSEHOLD);
        fixture.add("inspector", &[Role::Inspector], 1);
        let history = fixture.history();
        Site { fixture, history }
    };
}

const NOVEMBER: DocKey = DocKey::Inspections { year: 2026, month: 11 };

fuzz_target!(|data: &[u8]| {
    let mut changes = Vec::new();
    let mut rest = data;
    while rest.len() >= 2 && changes.len() < 64 {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        let chunk = &rest[..n.min(rest.len())];
        rest = &rest[chunk.len()..];
        match bounds::change(chunk.to_vec()) {
            Ok((change, _)) => changes.push(change),
            Err(_) => return,
        }
    }
    SITE.with(|site| {
        let ctx = UploadContext {
            site: &site.history,
            profile: &site.fixture.profile,
            now: common::NOW,
            case: None,
        };
        let sender = site.fixture.members["inspector"].key.device_id();
        let _ = check_upload(&NOVEMBER, Automerge::new(), &changes, &sender, &ctx);
    });
});
