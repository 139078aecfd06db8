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
