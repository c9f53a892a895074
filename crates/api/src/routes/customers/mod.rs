//! The customers context's endpoints: the customer record and its list, batch upsert and change
//! feed, contacts, interactions and the timeline, the public pool, duplicates and merge, tags,
//! and segments.

pub mod activity;
pub mod batch;
pub mod duplicates;
pub mod fields;
pub mod list;
pub mod pool;
pub mod records;
pub mod segments;
pub mod tags;

use crate::problem::ApiError;
use crm_app::AppError;
use crm_domain::FieldErrors;

/// A request body whose fields break their rules: 422 naming each one.
fn invalid(e: FieldErrors) -> ApiError {
    AppError::from(e).into()
}
