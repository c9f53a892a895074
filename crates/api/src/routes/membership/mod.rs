//! Membership endpoints: enrollment applications, members, member levels and the card-number pool.

pub mod application_fields;
pub mod card_numbers;
pub mod enrollment;
pub mod level_changes;
pub mod member_levels;
pub mod members;

use super::batch::ItemStatus;
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
