//! Platform queries: tenants, deployment-wide and tenant settings, per-tenant counters, the audit
//! log, custom fields, leases of scheduled jobs, and locks on keys;
//! and how every identity and platform record reads its stored strings back as domain values.

pub mod audit;
pub mod counters;
pub mod custom_fields;
pub mod job_leases;
pub mod key_locks;
pub mod settings;
pub mod tenant_settings;
pub mod tenants;

use crate::StoreError;
use crm_domain::FieldError;
use sea_orm::DbErr;

/// Reads a stored string back as a domain value (`column` names it in the error). A value that
/// no longer parses is a type error of the row, never a silent default.
pub(crate) fn parse_stored<T>(
    column: &'static str,
    value: &str,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<T, StoreError> {
    parse(column, value).map_err(|_| unreadable(column, value))
}

/// A stored JSON array of strings read back (see [`parse_stored`]).
pub(crate) fn strings_stored(column: &'static str, value: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(value).map_err(|_| unreadable(column, value))
}

/// The error of a stored value that does not read back.
pub(crate) fn unreadable(column: &str, value: &str) -> StoreError {
    StoreError::from(DbErr::Type(format!("{column}: unreadable stored value {value:?}")))
}
