//! The site register has two writers: serve (enrolling devices) and the
//! console (people, cameras, hours), separate processes on one database.
//! Neither may lose what the other wrote in between.

mod common;

use std::sync::Arc;

use common::*;
use custos_clock::SystemClock;
use custos_core::roles::Role;
use custos_core::time::Timestamp;
use custos_recorder::registers::Registers;

#[test]
fn two_writers_adding_people_at_once_lose_none() {
    let (_dir, data) = init_data_dir("幼兒園", "kaohsiung-kindergarten");
    let writers: Vec<_> = ["甲", "乙"]
        .into_iter()
        .map(|prefix| {
            let data = data.clone();
            std::thread::spawn(move || {
                // Its own connection and in-process lock, as another process has.
                let registers = Registers::open(&data, Arc::new(SystemClock)).unwrap();
                for n in 0..25 {
                    let name = format!("{prefix}{n:02}");
                    registers
                        .write_blocking()
                        .unwrap()
                        .add_person(&name, &[Role::Inspector], Timestamp(1_795_485_600_000 + n))
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let site = Registers::open(&data, Arc::new(SystemClock)).unwrap().site().unwrap();
    assert_eq!(site.people.len(), 50, "every person added by either writer is there");
}

#[test]
fn the_recorders_own_documents_are_compacted_like_pushed_ones() {
    let (_dir, data) = init_data_dir("幼兒園", "kaohsiung-kindergarten");
    let registers = Registers::open(&data, Arc::new(SystemClock)).unwrap();
    for n in 0..100 {
        registers
            .write_blocking()
            .unwrap()
            .add_person(
                &format!("老師{n:03}"),
                &[Role::Inspector],
                Timestamp(1_795_485_600_000 + n),
            )
            .unwrap();
    }
    let chunks = registers
        .store
        .document_chunks(&custos_core::documents::DocKey::Site)
        .unwrap();
    assert!(
        chunks < custos_recorder::db::documents::COMPACT_AFTER_CHUNKS,
        "100 own changes left {chunks} chunks"
    );
    let site = Registers::open(&data, Arc::new(SystemClock)).unwrap().site().unwrap();
    assert_eq!(site.people.len(), 100, "nothing lost in compaction");
}

/// A person's unit (課室) is kept in the site register, where 004 附件3's
/// chain reads it, and listed; a unit that is not a name is refused.
#[test]
fn a_persons_unit_is_kept_and_listed() {
    let (_dir, data) = init_data_dir("萬華戶政", "wanhua-household");
    let d = data.to_str().unwrap();
    ok(console(&[
        "person",
        "add",
        "--data",
        d,
        "--name",
        "林課長",
        "--role",
        "supervisor",
        "--unit",
        " 戶籍課 ",
    ]));
    ok(console(&[
        "person",
        "add",
        "--data",
        d,
        "--name",
        "吳主任",
        "--role",
        "head",
    ]));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(console(&["person", "list", "--data", d, "--json"]))).unwrap();
    let unit_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["unit"].clone())
            .unwrap()
    };
    assert_eq!(unit_of("林課長"), "戶籍課");
    assert_eq!(unit_of("吳主任"), serde_json::Value::Null);
    let long = "課".repeat(41);
    let out = console(&[
        "person",
        "add",
        "--data",
        d,
        "--name",
        "某人",
        "--role",
        "supervisor",
        "--unit",
        &long,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--unit"));
    let registers = Registers::open(&data, Arc::new(SystemClock)).unwrap();
    let site = registers.site().unwrap();
    assert!(site.people.values().all(|p| p.name != "某人"), "nothing stored");
}
