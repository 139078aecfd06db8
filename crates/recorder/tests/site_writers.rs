//! The site register has two writers: serve (enrolling devices) and the
//! console (people, cameras, hours), separate processes on one database.
//! Neither may lose what the other wrote in between.

mod common;

use common::*;
use custos_core::roles::Role;
use custos_core::time::Timestamp;
use custos_recorder::keys::load_site_key;
use custos_recorder::registry::{Registry, site_register};
use custos_recorder::store::Store;

#[test]
fn two_writers_adding_people_at_once_lose_none() {
    let (_dir, data) = init_data_dir("幼兒園", "kaohsiung-kindergarten");
    let writers: Vec<_> = ["甲", "乙"]
        .into_iter()
        .map(|prefix| {
            let data = data.clone();
            std::thread::spawn(move || {
                // Its own connection, as another process has.
                let store = Store::open(&data).unwrap();
                let key = load_site_key(&data).unwrap();
                let registry = Registry {
                    store: &store,
                    site_key: &key,
                };
                for n in 0..25 {
                    let name = format!("{prefix}{n:02}");
                    registry
                        .add_person(&name, &[Role::Inspector], Timestamp(1_795_485_600_000 + n))
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let store = Store::open(&data).unwrap();
    let site = site_register(&store).unwrap();
    assert_eq!(site.people.len(), 50, "every person added by either writer is there");
}
