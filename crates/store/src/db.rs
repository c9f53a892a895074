//! Connecting to SQLite or PostgreSQL, migrations, readiness and pool statistics.

use crate::StoreError;
use crm_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// When SQLite makes a commit durable (its `synchronous` setting, in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    /// Every commit is synced to disk before it returns: a committed change survives a power
    /// loss or an operating-system crash. The default, because an answer the sales system got
    /// (a purchase recorded, points credited) must not be forgotten.
    #[default]
    Full,
    /// The log is synced only at checkpoints: a commit survives the process crashing, but a
    /// power loss may roll back the last commits (the database stays consistent). Faster
    /// single commits, for deployments whose disk or UPS makes the difference irrelevant.
    Normal,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://PATH?mode=rwc` or `postgres://...`.
    pub url: String,
    pub max_connections: u32,
    /// How long a SQLite writer waits for the lock, and how long anyone waits for a pooled connection.
    pub busy_timeout: Duration,
    pub sqlite_synchronous: SqliteSync,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            busy_timeout: Duration::from_secs(10),
            sqlite_synchronous: SqliteSync::default(),
        }
    }
}

/// Current connection pool figures, for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// The database handle every use case goes through. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    max_connections: u32,
    statements: Arc<AtomicU64>,
}

impl Store {
    /// Connects. A SQLite file's folder is created when missing; SQLite runs in WAL mode with
    /// `synchronous` as configured ([`SqliteSync`]), foreign keys on and a busy timeout.
    pub async fn connect(opts: &DbOptions) -> Result<Self, StoreError> {
        let backend = if opts.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if opts.url.starts_with("postgres://") || opts.url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config("database_url must start with sqlite:// or postgres://".to_owned()));
        };
        if backend == Backend::Sqlite {
            ensure_sqlite_dir(&opts.url)?;
        }
        let mut co = ConnectOptions::new(opts.url.clone());
        co.max_connections(opts.max_connections)
            .min_connections(1)
            .acquire_timeout(opts.busy_timeout)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let busy = opts.busy_timeout;
        let synchronous = match opts.sqlite_synchronous {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        };
        co.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .foreign_keys(true)
                .busy_timeout(busy)
                .create_if_missing(true)
        });
        let mut db = Database::connect(co).await?;
        // Every statement sent, in transactions too (not BEGIN/COMMIT): `/metrics` shows the
        // count, and the benchmarks read it to count what one request costs. With the log
        // filter `crm_store::sql=trace` each one is logged with its duration.
        let statements = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&statements);
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::Relaxed);
            tracing::trace!(target: "crm_store::sql", elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed, "{}", info.statement.sql);
        });
        Ok(Self { db, backend, max_connections: opts.max_connections, statements })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether write transactions run side by side (PostgreSQL), so that moving work out of a
    /// transaction shortens the time others wait on its locks. SQLite runs one writer at a time
    /// (`BEGIN IMMEDIATE`): there, work moved out of the transaction is one more turn on that lock.
    pub fn writers_run_concurrently(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// The pool, for reads and for single-statement writes.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so a transaction that reads
    /// and then writes takes the write lock up front and concurrent writers queue on the busy
    /// timeout instead of failing with "database is locked".
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(opts).await?)
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// How many migrations are not yet applied (0 when the schema is current).
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        Ok(Migrator::get_pending_migrations(&self.db).await?.len())
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// How many statements this store has sent since it connected.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle) = match self.db.get_database_backend() {
            DbBackend::Sqlite => {
                let p = self.db.get_sqlite_connection_pool();
                (p.size(), p.num_idle() as u32)
            }
            DbBackend::Postgres => {
                let p = self.db.get_postgres_connection_pool();
                (p.size(), p.num_idle() as u32)
            }
            _ => (0, 0),
        };
        PoolStats { size, idle, max: self.max_connections }
    }

    /// Closes the pool (after the server has drained).
    pub async fn close(&self) -> Result<(), StoreError> {
        Ok(self.db.close_by_ref().await?)
    }
}

/// Creates the folder of `sqlite://data/crm.db?mode=rwc` so a fresh machine needs no setup.
fn ensure_sqlite_dir(url: &str) -> Result<(), StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Config(format!("cannot create database folder {}: {e}", parent.display())))?;
    }
    Ok(())
}
