//! What a storage error is: read-only, full or I/O; and the check that the database can commit
//! as a freshly started shop would find it.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use sqlx::{ConnectOptions, Connection};
use subjects::event::StorageFault;

use crate::store::Store;

/// Below this much free space the disk counts as full: a commit may need to grow the WAL.
pub const MIN_FREE_BYTES: u64 = 1 << 20;

/// How long the check may take (it waits for the write lock like any writer).
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// SQLite's primary result codes that mean storage, not the order, is at fault.
const SQLITE_IOERR: i64 = 10;
const SQLITE_READONLY: i64 = 8;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_BUSY: i64 = 5;

/// The storage fault behind `error`, if storage is what failed (rather than the order or a bug).
pub fn classify(error: &anyhow::Error) -> Option<StorageFault> {
    error.chain().find_map(|cause| {
        if let Some(sqlx::Error::Database(db)) = cause.downcast_ref::<sqlx::Error>() {
            let code = db.code().and_then(|c| c.parse::<i64>().ok())? & 0xff;
            return match code {
                SQLITE_READONLY => Some(StorageFault::ReadOnly),
                SQLITE_FULL => Some(StorageFault::Full),
                SQLITE_IOERR | SQLITE_CANTOPEN => Some(StorageFault::Io),
                _ => None,
            };
        }
        if let Some(sqlx::Error::Io(io)) = cause.downcast_ref::<sqlx::Error>() {
            return Some(io_fault(io));
        }
        cause.downcast_ref::<std::io::Error>().map(io_fault)
    })
}

fn io_fault(error: &std::io::Error) -> StorageFault {
    match error.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => StorageFault::Full,
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => StorageFault::ReadOnly,
        _ => StorageFault::Io,
    }
}

/// Why the database cannot commit now, checked as a restarted shop would find it: enough free
/// space on its disk, and a write committed through a connection opened for the check (a pooled
/// connection keeps the file handle it opened earlier, whatever happened to the file since).
/// `Ok(None)`: it commits; `Ok(Some(..))`: it cannot; `Err`: no answer (the write lock stayed
/// busy), which says nothing about storage.
pub async fn check(store: &Store) -> anyhow::Result<Option<(StorageFault, String)>> {
    if let Some(free) = free_bytes(store.path()) {
        if free < MIN_FREE_BYTES {
            return Ok(Some((StorageFault::Full, format!("{free} bytes free on the database's disk"))));
        }
    }
    let commit = async {
        let mut conn = store.options().clone().connect().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO health (id, checked_at) VALUES (1, ?)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(Utc::now().to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        conn.close().await?;
        anyhow::Ok(())
    };
    let Ok(committed) = tokio::time::timeout(CHECK_TIMEOUT, commit).await else {
        anyhow::bail!("the storage check did not finish within 3 s");
    };
    let Err(e) = committed else { return Ok(None) };
    if busy(&e) {
        return Err(e.context("the write lock stayed busy"));
    }
    let fault = classify(&e).unwrap_or(StorageFault::Io);
    Ok(Some((fault, subjects::limits::clip(&format!("{e:#}"), 200))))
}

fn busy(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| match cause.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(db)) => {
            db.code().and_then(|c| c.parse::<i64>().ok()).is_some_and(|c| c & 0xff == SQLITE_BUSY)
        }
        _ => false,
    })
}

/// Bytes free for the shop on the disk holding `path` (`None` when the system cannot say).
fn free_bytes(path: &Path) -> Option<u64> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    use super::*;

    async fn failure(options: SqliteConnectOptions, setup: &'static str, write: &'static str) -> anyhow::Error {
        let mut conn = options.connect().await.unwrap();
        sqlx::query(setup).execute(&mut conn).await.unwrap();
        let error = sqlx::query(write).execute(&mut conn).await.unwrap_err();
        let _ = conn.close().await;
        anyhow::Error::new(error).context("Failed to commit")
    }

    #[tokio::test]
    async fn a_write_to_a_database_sqlite_opened_read_only_is_a_read_only_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let create = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let mut conn = create.connect().await.unwrap();
        sqlx::query("CREATE TABLE t (x)").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();

        let error = failure(
            SqliteConnectOptions::new().filename(&path).read_only(true),
            "SELECT 1",
            "INSERT INTO t VALUES (1)",
        )
        .await;

        assert_eq!(classify(&error), Some(StorageFault::ReadOnly), "{error:#}");
    }

    #[tokio::test]
    async fn a_database_that_cannot_grow_is_a_full_disk_fault() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new().filename(dir.path().join("x.db")).create_if_missing(true);

        let error = failure(
            options,
            "CREATE TABLE t (x); PRAGMA max_page_count = 2",
            "INSERT INTO t SELECT randomblob(100000)",
        )
        .await;

        assert_eq!(classify(&error), Some(StorageFault::Full), "{error:#}");
    }

    #[test]
    fn an_order_refused_by_a_constraint_is_no_storage_fault() {
        let error = anyhow::anyhow!("UNIQUE constraint failed");
        assert_eq!(classify(&error), None);
    }
}
