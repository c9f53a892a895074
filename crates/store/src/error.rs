//! The store's one error type: database failures, with unique-key conflicts told apart.

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the row; `constraint` is the database's description of it.
    #[error("unique constraint violated: {constraint}")]
    Conflict { constraint: String },
    /// The database URL or options are unusable.
    #[error("invalid database configuration: {0}")]
    Config(String),
    /// PostgreSQL gave up on the transaction to break a deadlock or a serialization conflict
    /// (SQLSTATE `40P01`, `40001`); retrying the request may succeed. Fixed lock orders keep it
    /// rare; it is never a 500.
    #[error("transaction aborted by contention: {0}")]
    Contention(DbErr),
    #[error("database error: {0}")]
    Db(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(c)) => StoreError::Conflict { constraint: c },
            _ if is_contention(&e) => StoreError::Contention(e),
            _ => StoreError::Db(e),
        }
    }
}

/// Whether PostgreSQL aborted the statement to resolve a deadlock or serialization failure.
fn is_contention(e: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(x)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(x))) = e else {
        return false;
    };
    match &**x {
        sea_orm::sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

impl StoreError {
    /// Whether this is a unique-key conflict on an index whose name contains `index`.
    pub fn is_conflict_on(&self, index: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint.contains(index))
    }
}
