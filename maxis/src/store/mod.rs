//! SQLite through sqlx: one database file per shop, migrations run at open.

pub mod announcements;
pub mod catalog;
pub mod checkouts;
pub mod giveaways;
pub mod members;
pub mod orders;
pub mod payments;
pub mod preorders;
pub mod promos;
pub mod sales;
pub mod settings;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// A write transaction.
pub type Tx = Transaction<'static, Sqlite>;

/// The shop's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and runs the migrations.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // A SQLite connection is a file handle, not a socket: checking it before each use would
        // only add a round trip to its worker thread on every query of the order path.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .with_context(|| format!("Failed to open the database {}", path.display()))?;
        sqlx::migrate!("./migrations").run(&pool).await.context("Failed to run the database migrations")?;
        Ok(Self { pool })
    }

    /// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`), so two
    /// writers never both read and then conflict.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.context("Failed to begin a transaction")
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
