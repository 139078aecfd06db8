//! The database file and its connection: opened in WAL mode with the schema
//! of `migrations/recorder/` applied by rusqlite_migration. The tables are
//! read and written by the sibling modules, one per table family.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use rusqlite_migration::Migrations;

use crate::base::error::{RecorderError, Result};

static MIGRATIONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../migrations/recorder");

pub const DATABASE_FILE: &str = "recorder.sqlite";

/// The recorder and its console are separate processes writing one
/// database. Every write transaction is IMMEDIATE: a deferred one that read
/// first and then writes gets SQLITE_BUSY at once when another process wrote
/// in between, without waiting on the busy timeout.
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens the database of an initialised data directory.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            return Err(RecorderError::Usage(format!(
                "{} is not a recorder data directory (no {DATABASE_FILE}); run `custos-recorder init` first",
                data_dir.display()
            )));
        }
        Self::open_path(&path)
    }

    /// Creates the database in a new data directory.
    pub fn create(data_dir: &Path) -> Result<Store> {
        Self::open_path(&data_dir.join(DATABASE_FILE))
    }

    fn open_path(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let migrations = Migrations::from_directory(&MIGRATIONS)?;
        migrations.to_latest(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the table modules beside this one.
    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
