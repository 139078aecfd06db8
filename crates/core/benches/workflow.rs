//! `cargo xtask bench` (part 0): deriving an application's status from a
//! chain of committee votes, each vote having seen every one before it (as
//! the app signs them), for chains of 100, 200 and 400 votes. The goal is
//! about 2x per doubling (#12 item 5); the ratio to the chain half as long,
//! measured in the same run, is printed beside each.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use custos_core::application::{Decision, DecisionEvent};
use custos_core::roles::Role;
use custos_core::seeds::KAOHSIUNG_KINDERGARTEN;
use custos_core::terms::ApplicantKind;
use custos_core::workflow::derive_status;

fn main() {
    let mut fx = Fixture::new(KAOHSIUNG_KINDERGARTEN);
    fx.add("manager", &[Role::Manager], 1);
    fx.add("staff", &[Role::CommitteeStaff], 2);
    fx.add("parent", &[Role::CommitteeParent], 3);
    let (case, _) = fx.case(ApplicantKind::GuardianOrStudent, "manager");
    let history = fx.history();
    let mut previous: Option<Duration> = None;
    for votes in [100usize, 200, 400] {
        let mut events: BTreeMap<String, DecisionEvent> = BTreeMap::new();
        for i in 0..votes {
            let (who, role) = if i % 2 == 0 {
                ("staff", Role::CommitteeStaff)
            } else {
                ("parent", Role::CommitteeParent)
            };
            let vote = Decision::Vote {
                in_favour: i % 3 != 0,
                reason: if i % 3 != 0 { String::new() } else { "再議".into() },
            };
            fx.decide(&mut events, who, role, vote, &case);
        }
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let d = derive_status(&case, &events, &history, &fx.profile);
                let took = start.elapsed();
                assert!(!d.counted.is_empty());
                took
            })
            .collect();
        times.sort();
        let median = times[2];
        let ratio = previous.map_or(String::new(), |p| {
            format!(
                "  ({:.1}x the chain half as long)",
                median.as_secs_f64() / p.as_secs_f64()
            )
        });
        println!(
            "{votes} chained votes: status derived in {:.1} ms{ratio}",
            median.as_secs_f64() * 1e3
        );
        previous = Some(median);
    }
}
