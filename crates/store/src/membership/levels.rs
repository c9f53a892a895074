//! Member levels: insert, change, delete, list in level order.

use crate::StoreError;
use crate::entities::{member_levels as ml, members as mb};
use crm_domain::ids::TenantId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use ml::Model as LevelRow;

pub async fn insert(c: &impl ConnectionTrait, row: &LevelRow) -> Result<(), StoreError> {
    ml::Entity::insert(row.clone().into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<LevelRow>, StoreError> {
    Ok(ml::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// One level, locked against every other lock until the transaction ends (a change or a
/// deletion; `FOR UPDATE` on PostgreSQL, nothing on SQLite where writers are serialized).
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<LevelRow>, StoreError> {
    Ok(ml::Entity::find_by_id((tenant.0, id)).lock_exclusive().one(c).await?)
}

/// One level, held against deletion until the transaction ends (`FOR SHARE`: many members may
/// be given the level at once, but a deletion waits for them, and they for it).
pub async fn hold(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<LevelRow>, StoreError> {
    Ok(ml::Entity::find_by_id((tenant.0, id)).lock_shared().one(c).await?)
}

/// Every level of the tenant, lowest `level_value` first (the first is the entry level).
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<LevelRow>, StoreError> {
    Ok(ml::Entity::find().filter(ml::Column::TenantId.eq(tenant.0)).order_by_asc(ml::Column::LevelValue).all(c).await?)
}

/// Writes the changed columns of `after`.
pub async fn update(c: &impl ConnectionTrait, before: LevelRow, after: LevelRow) -> Result<LevelRow, StoreError> {
    use sea_orm::ActiveValue::Set;
    let mut am = before.into_active_model();
    am.name = Set(after.name);
    am.level_value = Set(after.level_value);
    am.upgrade_points = Set(after.upgrade_points);
    am.multiplier_pct = Set(after.multiplier_pct);
    am.benefits = Set(after.benefits);
    am.updated_at = Set(after.updated_at);
    Ok(am.update(c).await?)
}

/// Deletes a level no member holds; false when one does.
pub async fn delete_unused(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<bool, StoreError> {
    let held = mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::LevelId.eq(id))
        .count(c)
        .await?;
    if held > 0 {
        return Ok(false);
    }
    ml::Entity::delete_by_id((tenant.0, id)).exec(c).await?;
    Ok(true)
}
