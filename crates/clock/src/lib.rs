//! Time and new ids come through a [`Clock`], so expiry, retention, sync
//! back-off and every periodic job are tested without sleeping. The
//! recorder stamps its own time (device clocks are not trusted); the app's
//! clock is shown to people and stamps its own ids, while order comes from
//! history, never from it.
//!
//! Periodic jobs (the recorder's health monitor, retention sweep and daily
//! checkpoint; the app's background sync) wait on a [`Timer`] of the clock:
//! the system clock sleeps, a [`SimulatedClock`] wakes them when it is moved
//! past their time, and [`SimulatedClock::advance`] returns once every job it
//! woke is done and waiting again. The core stays free of clocks and
//! randomness; this crate is the one place both are read.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use custos_core::ids::EntryId;
use custos_core::time::Timestamp;
use tokio::sync::watch;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// A timer for one periodic job.
    fn timer(&self, job: &'static str) -> Timer;

    /// A new entry id: the time now and 80 random bits (a ULID).
    fn new_entry_id(&self) -> EntryId {
        entry_id_at(self.now())
    }
}

/// A ULID for an entry made at `at`, from the machine's secure randomness.
pub fn entry_id_at(at: Timestamp) -> EntryId {
    let mut random = random_bytes::<16>();
    random[..6].fill(0);
    EntryId::from_parts(at.0.max(0) as u64, u128::from_be_bytes(random))
}

/// Bytes from the machine's secure random source (ring): for ids, tokens,
/// nonces and codes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("system randomness");
    bytes
}

/// What a periodic job waits on between runs.
pub struct Timer {
    kind: TimerKind,
}

enum TimerKind {
    System,
    Simulated { state: Arc<Simulation>, slot: usize },
}

impl Timer {
    /// Resolves once the clock reads `at` or later.
    pub fn sleep_until(&mut self, at: Timestamp) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        match &self.kind {
            TimerKind::System => Box::pin(async move {
                let wait = at.0 - SystemClock.now().0;
                if wait > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
                }
            }),
            TimerKind::Simulated { state, slot } => {
                let (state, slot) = (state.clone(), *slot);
                Box::pin(async move { state.sleep_until(slot, at).await })
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let TimerKind::Simulated { state, slot } = &self.kind {
            state.set(*slot, Slot::Gone);
        }
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }

    fn timer(&self, _job: &'static str) -> Timer {
        Timer {
            kind: TimerKind::System,
        }
    }
}

/// Where a job of a simulated clock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Doing its work (or not yet waiting for the first time).
    Running,
    /// Waiting for the clock to read this.
    Waiting(Timestamp),
    /// Its timer is gone.
    Gone,
}

struct Simulation {
    now: AtomicI64,
    /// Tells waiting jobs the time moved.
    moved: watch::Sender<i64>,
    jobs: Mutex<Vec<(&'static str, Slot)>>,
    /// Tells an advance that a job went back to waiting.
    settled: watch::Sender<u64>,
}

impl Simulation {
    fn set(&self, slot: usize, to: Slot) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())[slot].1 = to;
        self.settled.send_modify(|n| *n += 1);
    }

    async fn sleep_until(&self, slot: usize, at: Timestamp) {
        /// A job whose wait is given up (another branch of a `select!` won)
        /// is running again, so an advance waits for it too.
        struct Running<'a>(&'a Simulation, usize);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.set(self.1, Slot::Running);
            }
        }
        let mut moved = self.moved.subscribe();
        self.set(slot, Slot::Waiting(at));
        let _running = Running(self, slot);
        while self.now.load(Ordering::SeqCst) < at.0 {
            if moved.changed().await.is_err() {
                return;
            }
        }
    }

    /// Whether every job is waiting for a time still ahead.
    fn settled(&self) -> bool {
        let now = self.now.load(Ordering::SeqCst);
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .all(|(_, slot)| match slot {
                Slot::Waiting(at) => at.0 > now,
                Slot::Gone => true,
                Slot::Running => false,
            })
    }
}

/// A clock that moves only when told: for tests.
#[derive(Clone)]
pub struct SimulatedClock(Arc<Simulation>);

impl std::fmt::Debug for SimulatedClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SimulatedClock").field(&self.now()).finish()
    }
}

impl SimulatedClock {
    pub fn new(start: Timestamp) -> Self {
        SimulatedClock(Arc::new(Simulation {
            now: AtomicI64::new(start.0),
            moved: watch::channel(start.0).0,
            jobs: Mutex::new(Vec::new()),
            settled: watch::channel(0).0,
        }))
    }

    /// Moves the clock without waiting for what it wakes.
    pub fn advance_ms(&self, ms: i64) {
        let now = self.0.now.fetch_add(ms, Ordering::SeqCst) + ms;
        self.0.moved.send_replace(now);
    }

    /// Moves the clock by `ms` and returns once every job it woke has done
    /// its work and waits again (the jobs of `serve`: health, retention,
    /// checkpoints).
    pub async fn advance(&self, ms: i64) {
        let mut settled = self.0.settled.subscribe();
        self.advance_ms(ms);
        while !self.0.settled() {
            if settled.changed().await.is_err() {
                return;
            }
        }
    }

    /// The jobs and where each is, for a test that waits on one.
    pub fn jobs(&self) -> Vec<&'static str> {
        self.0
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, s)| *s != Slot::Gone)
            .map(|(name, _)| *name)
            .collect()
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.now.load(Ordering::SeqCst))
    }

    fn timer(&self, job: &'static str) -> Timer {
        let mut jobs = self.0.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.push((job, Slot::Running));
        Timer {
            kind: TimerKind::Simulated {
                state: self.0.clone(),
                slot: jobs.len() - 1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_advance_wakes_what_is_due_and_returns_when_it_waits_again() {
        let clock = SimulatedClock::new(Timestamp(0));
        let runs = Arc::new(AtomicI64::new(0));
        let (job_clock, job_runs) = (clock.clone(), runs.clone());
        let mut timer = clock.timer("every-minute");
        tokio::spawn(async move {
            let mut next = job_clock.now();
            loop {
                timer.sleep_until(next).await;
                tokio::task::yield_now().await;
                job_runs.fetch_add(1, Ordering::SeqCst);
                next = Timestamp(job_clock.now().0 + 60_000);
            }
        });
        clock.advance(0).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "due at once");
        clock.advance(59_999).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "not yet due");
        clock.advance(1).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "due, run, and back to waiting");
        clock.advance(10 * 60_000).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "one run for a long jump: the next is from now"
        );
        assert_eq!(clock.jobs(), ["every-minute"]);
    }
}
