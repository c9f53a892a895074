//! How every context's records read stored values back, and what an idempotent insert answers:
//! one place, so each store module converts its rows the same way.

use crate::StoreError;
use crm_domain::FieldError;
use sea_orm::DbErr;

/// What an idempotent insert did: the row it inserted, or nothing because a row with the same
/// key is there already (`ON CONFLICT DO NOTHING`), perhaps committed by a concurrent insert a
/// moment ago.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insertion<T> {
    Inserted(T),
    AlreadyThere,
}

/// What an `ON CONFLICT DO NOTHING` insert did, from its rows affected (SQLite reports a skipped
/// row as 0 rows, not as a conflict).
pub(crate) fn insertion(res: sea_orm::TryInsertResult<u64>) -> Insertion<()> {
    if matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
        Insertion::Inserted(())
    } else {
        Insertion::AlreadyThere
    }
}

/// Reads a stored string back as a domain value (`column` names it in the error). A value that
/// no longer parses was never written by this code: a type error of the row, never a default.
pub(crate) fn parse_stored<T>(
    column: &str,
    value: &str,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<T, StoreError> {
    parse(column, value).map_err(|_| unreadable(column, value))
}

/// A stored JSON array of strings read back (see [`parse_stored`]).
pub(crate) fn strings_stored(column: &str, value: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(value).map_err(|_| unreadable(column, value))
}

/// The error of a stored value that does not read back.
pub(crate) fn unreadable(column: &str, value: &str) -> StoreError {
    StoreError::from(DbErr::Type(format!("{column}: unreadable stored value {value:?}")))
}
