//! Batch requests: one size limit and one shape of per-item results for every batch endpoint
//! (customer upsert, application import, bulk approve and reject, bulk level changes).

use crate::AppError;
use crm_domain::FieldError;

/// The most items one batch request may carry.
pub const MAX_ITEMS: usize = 1000;

/// Refuses an empty batch or one over [`MAX_ITEMS`], naming `field` (`/items`).
pub fn check_size(field: &str, n: usize) -> Result<(), AppError> {
    if n == 0 || n > MAX_ITEMS {
        return Err(FieldError::new(field, "range").with("min", 1).with("max", MAX_ITEMS).into());
    }
    Ok(())
}

/// One item's result under the index the item had in the request: its status and detail, or why
/// it failed. Items that could not even be read keep their index too.
#[derive(Debug)]
pub struct ItemResult<S, T> {
    pub index: usize,
    pub outcome: Result<(S, T), AppError>,
}

impl<S, T> ItemResult<S, T> {
    pub fn ok(index: usize, status: S, detail: T) -> Self {
        Self { index, outcome: Ok((status, detail)) }
    }

    pub fn failed(index: usize, error: AppError) -> Self {
        Self { index, outcome: Err(error) }
    }
}
