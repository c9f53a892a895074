//! Membership endpoints: enrollment applications, members, member levels and the card-number pool.

pub mod application_fields;
pub mod card_numbers;
pub mod enrollment;
pub mod level_changes;
pub mod member_levels;
pub mod members;

use super::batch::{BatchResponse, ItemStatus};
use crm_app::membership::applications::ImportStatus;
use crm_app::membership::approval::DecisionStatus;
use crm_app::membership::level_changes::LevelChangeStatus;

impl ItemStatus for ImportStatus {
    const FAILED: Self = ImportStatus::Failed;
}

impl ItemStatus for DecisionStatus {
    const FAILED: Self = DecisionStatus::Failed;
}

impl ItemStatus for LevelChangeStatus {
    const FAILED: Self = LevelChangeStatus::Failed;
}

/// Gives each failed item of a bulk request over ids the detail its id alone makes
/// (`key(index)`), so every item names what it is about, as the successful ones do.
pub(crate) fn keyed<S, T>(mut r: BatchResponse<S, T>, key: impl Fn(usize) -> Option<T>) -> BatchResponse<S, T> {
    for item in &mut r.items {
        if item.detail.is_none() {
            item.detail = key(item.index);
        }
    }
    r
}
