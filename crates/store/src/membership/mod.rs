//! Membership queries: levels, the card-number pool, members, level changes, external
//! identities and enrollment applications. Each module exposes plain records carrying domain
//! types, converted from and to the database rows at this edge.

pub mod applications;
pub mod cards;
pub mod identities;
pub mod level_changes;
pub mod levels;
pub mod members;
pub mod person_locks;

use crate::StoreError;
use crm_domain::FieldError;
use sea_orm::DbErr;

/// What an idempotent insert did: the row it inserted, or nothing because a row with the same
/// key is there already (`ON CONFLICT DO NOTHING`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insertion<T> {
    Inserted(T),
    AlreadyThere,
}

/// A stored value the domain refuses (an unknown status string): the row is corrupt, which is a
/// database error, not the caller's.
pub(crate) fn stored<T>(column: &str, r: Result<T, FieldError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Db(DbErr::Type(format!("{column}: {} ({})", e.code, e.field))))
}
