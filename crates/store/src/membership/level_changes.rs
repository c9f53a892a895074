//! A member's level history: append and read.

use crate::StoreError;
use crate::entities::member_level_changes as lc;
use crm_domain::ids::TenantId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

pub use lc::Model as LevelChangeRow;

pub async fn append(c: &impl ConnectionTrait, row: LevelChangeRow) -> Result<(), StoreError> {
    lc::Entity::insert(row.into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

/// Oldest first.
pub async fn of_member(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: Uuid,
) -> Result<Vec<LevelChangeRow>, StoreError> {
    Ok(lc::Entity::find()
        .filter(lc::Column::TenantId.eq(tenant.0))
        .filter(lc::Column::MemberId.eq(member))
        .order_by_asc(lc::Column::Id)
        .all(c)
        .await?)
}
