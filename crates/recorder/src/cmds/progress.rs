//! A progress bar on standard error for long console work (re-hashing the
//! footage, writing an export): redrawn at each percent.

pub struct Progress {
    label: &'static str,
    total: u64,
    done: u64,
    shown: u64,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Progress {
        Progress {
            label,
            total,
            done: 0,
            shown: u64::MAX,
        }
    }

    /// `n` more units done.
    pub fn advance(&mut self, n: u64) {
        self.set(self.done + n);
    }

    /// `done` units done in all.
    pub fn set(&mut self, done: u64) {
        self.done = done;
        let percent = (self.done.min(self.total) * 100).checked_div(self.total).unwrap_or(100);
        if percent != self.shown {
            self.shown = percent;
            let bar = "#".repeat((percent / 5) as usize);
            eprint!(
                "\r{} [{bar:<20}] {percent:>3}% ({}/{})",
                self.label, self.done, self.total
            );
        }
    }

    /// Ends the bar's line.
    pub fn done(&self) {
        if self.done > 0 {
            eprintln!();
        }
    }
}
