//! SQLite through sqlx: one database file per shop, migrations run at open.

pub mod catalog;
pub mod checkouts;
pub mod deliveries;
pub mod health;
pub mod members;
pub mod orders;
pub mod payments;
pub mod sales;
pub mod settings;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqlitePool, Transaction};

/// A write transaction.
pub type Tx = Transaction<'static, Sqlite>;

/// The shop's database.
///
/// Writes go through one connection of their own (`writer`): SQLite has a single writer at a
/// time anyway, and a second connection asking for the write lock waits in SQLite's busy handler,
/// which sleeps 1, 2, 5, 10… ms between tries; waiting for the one writer connection in the
/// pool's queue wakes the next writer as soon as the lock is free. Reads use `readers`, which in
/// WAL mode never wait for the writer.
#[derive(Debug, Clone)]
pub struct Store {
    readers: SqlitePool,
    writer: SqlitePool,
    options: SqliteConnectOptions,
    path: PathBuf,
    reopen: Reopen,
    _checkpoints: Arc<Checkpoints>,
}

/// Connections opened before this instant are closed instead of used ([`Store::reopen`]).
///
/// SQLite opens a file it cannot write read-only, silently, and such a connection stays
/// read-only after the file is writable again; one that failed on a full disk or an I/O error
/// may hold a broken state too. Once storage failed, every pooled connection is replaced.
#[derive(Debug, Clone)]
struct Reopen(Arc<Mutex<Option<Instant>>>);

impl Reopen {
    /// Whether a connection `age` old may still be used.
    fn keeps(&self, age: Duration) -> bool {
        match *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(mark) => age < mark.elapsed(),
            None => true,
        }
    }

    fn mark(&self) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }
}

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The task that checkpoints the WAL off the write path, stopped with the last `Store` clone.
///
/// SQLite's automatic checkpoint runs inside a commit once the WAL holds 1,000 pages, and syncs
/// the WAL and the database file there (about 5 ms per fsync on this kind of disk): the order
/// that commits then waits 10 ms or more, every hundred orders or so. With it off, a reader
/// connection checkpoints (`PASSIVE`: it never waits for, nor blocks, the writer) every
/// [`CHECKPOINT_EVERY`], and the writer's commits only append to the WAL.
#[derive(Debug)]
struct Checkpoints(tokio::task::JoinHandle<()>);

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Checkpoints {
    fn start(readers: SqlitePool) -> Self {
        Self(tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // While storage fails (the storage watchdog reports it), one warning, not four a second.
            let mut failing = false;
            loop {
                every.tick().await;
                let checkpoint = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&readers).await;
                match &checkpoint {
                    Err(e) if !failing => tracing::warn!(error.message = %e, "Failed to checkpoint the database"),
                    Err(e) => tracing::debug!(error.message = %e, "Failed to checkpoint the database"),
                    Ok(_) => {}
                }
                failing = checkpoint.is_err();
            }
        }))
    }
}

impl Store {
    /// Opens (creating if missing) the database at `path` and runs the migrations.
    #[tracing::instrument(skip_all, fields(path = %path.display()))]
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // WAL with `synchronous = NORMAL`: a commit reaches the WAL (the OS cache) without an fsync;
        // the WAL is synced at checkpoints. A crash of the process loses nothing. A power loss or
        // kernel crash may lose the last commits, effect, idempotency record and events together
        // (one transaction), never half of one. When the broker lost the order's ack too (the same
        // machine, the default `sync_interval`), MAXIS_CONTROL redelivers the order and it executes
        // once, as the first time; when the broker kept the ack (a cluster elsewhere, `sync_interval:
        // always`), that order's effect is lost although its reply and events were sent. `FULL`
        // would close that window at one fsync per commit (about 5 ms on this kind of disk, against
        // a 0.3 ms order path), so the window is the documented price: docs/deployment.md.
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .pragma("wal_autocheckpoint", "0")
            .foreign_keys(true);
        // A SQLite connection is a file handle, not a socket: checking it before each use would
        // only add a round trip to its worker thread on every query of the order path.
        let context = || format!("Failed to open the database {}", path.display());
        // SQLite rolls a transaction back by itself after some errors (I/O, full disk, a trigger's
        // `RAISE(ROLLBACK)`); sqlx's own rollback then fails and it still counts the connection
        // as in a transaction, so every later `BEGIN` on it would fail. The one writer must not
        // stay like that: once its queued rollback ran (the ping waits for it), such a connection
        // is closed and the pool opens a fresh one.
        let reopen = Reopen(Arc::new(Mutex::new(None)));
        let (on_acquire, on_release) = (reopen.clone(), reopen.clone());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .before_acquire(move |_, meta| {
                let keep = on_acquire.keeps(meta.age);
                Box::pin(async move { Ok(keep) })
            })
            .after_release(move |conn, meta| {
                let keep = on_release.keeps(meta.age);
                Box::pin(async move {
                    // Only a connection released inside a transaction (dropped without commit)
                    // has a rollback queued: wait for it there, and spare every committed write
                    // a round trip to the worker thread.
                    if conn.is_in_transaction() {
                        conn.ping().await?;
                    }
                    Ok(keep && !conn.is_in_transaction())
                })
            })
            .connect_with(options.clone())
            .await
            .with_context(context)?;
        sqlx::migrate!("./migrations").run(&writer).await.context("Failed to run the database migrations")?;
        let on_acquire = reopen.clone();
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .before_acquire(move |_, meta| {
                let keep = on_acquire.keeps(meta.age);
                Box::pin(async move { Ok(keep) })
            })
            .connect_with(options.clone())
            .await
            .with_context(context)?;
        let checkpoints = Arc::new(Checkpoints::start(readers.clone()));
        Ok(Self { readers, writer, options, path: path.to_owned(), reopen, _checkpoints: checkpoints })
    }

    /// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`), so two
    /// writers never both read and then conflict. It waits for the writer connection first: one
    /// write transaction at a time.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.context("Failed to begin a transaction")
    }

    /// The pool, for reads (a write through it waits for the writer in SQLite's busy handler:
    /// write with [`Store::begin`] or [`Store::writer`]).
    pub fn pool(&self) -> &SqlitePool {
        &self.readers
    }

    /// The writer connection's pool, for a single write statement outside a transaction.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Replaces every pooled connection: those idle now are closed when next taken, those in use
    /// when given back. Called when storage fails and when it works again.
    pub fn reopen(&self) {
        self.reopen.mark();
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options every connection is opened with, for a check on a connection of its own.
    pub(crate) fn options(&self) -> &SqliteConnectOptions {
        &self.options
    }
}
