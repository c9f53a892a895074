//! Customer queries: records with domain types in and out; the sea-orm rows stay in here.

pub mod contacts;
pub mod criteria;
pub mod duplicates;
pub mod grade_history;
pub mod interactions;
pub mod merge;
pub mod records;
pub mod segments;
pub mod tags;

use crate::StoreError;
use crm_domain::FieldError;

/// A stored enumeration value read back as the domain's type. A value the domain does not know
/// was never written by this code: it is a type error of the column, not a default.
pub(crate) fn stored<T>(
    column: &str,
    value: &str,
    parse: fn(&str, &str) -> Result<T, FieldError>,
) -> Result<T, StoreError> {
    parse(column, value).map_err(|_| StoreError::Db(sea_orm::DbErr::Type(format!("{column}: unknown value {value:?}"))))
}
