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
    #[error("database error: {0}")]
    Db(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(c)) => StoreError::Conflict { constraint: c },
            _ => StoreError::Db(e),
        }
    }
}

impl StoreError {
    /// Whether this is a unique-key conflict on an index whose name contains `index`.
    pub fn is_conflict_on(&self, index: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint.contains(index))
    }
}
