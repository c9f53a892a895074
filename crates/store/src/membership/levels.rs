//! Member levels: insert, change, delete, list in level order.

use crate::StoreError;
use crate::entities::{member_levels as ml, members as mb};
use chrono::{DateTime, Utc};
use crm_domain::ids::{LevelId, TenantId};
use crm_domain::membership::{LevelSpec, Multiplier};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// A level as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub id: LevelId,
    pub spec: LevelSpec,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ml::Model> for Level {
    fn from(m: ml::Model) -> Self {
        Self {
            id: LevelId(m.id),
            spec: LevelSpec {
                name: m.name,
                level_value: m.level_value,
                upgrade_points: m.upgrade_points,
                multiplier: Multiplier::from_hundredths(m.multiplier_pct),
                benefits: m.benefits,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn set_spec(am: &mut ml::ActiveModel, spec: LevelSpec) {
    am.name = Set(spec.name);
    am.level_value = Set(spec.level_value);
    am.upgrade_points = Set(spec.upgrade_points);
    am.multiplier_pct = Set(spec.multiplier.hundredths());
    am.benefits = Set(spec.benefits);
}

/// Inserts a level; returns it as stored. A taken value or name is a unique conflict
/// (`UniqueKey::LevelValue`, `LevelName`).
pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: LevelId,
    spec: LevelSpec,
    at: DateTime<Utc>,
) -> Result<Level, StoreError> {
    let mut am = ml::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(id.0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    set_spec(&mut am, spec);
    Ok(ml::Entity::insert(am).exec_with_returning(c).await?.into())
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: LevelId) -> Result<Option<Level>, StoreError> {
    Ok(ml::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(Into::into))
}

/// One level, locked against every other lock until the transaction ends (a change or a
/// deletion; `FOR UPDATE` on PostgreSQL, nothing on SQLite where writers are serialized).
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: LevelId) -> Result<Option<Level>, StoreError> {
    Ok(ml::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?.map(Into::into))
}

/// One level, held against deletion until the transaction ends (`FOR SHARE`: many members may
/// be given the level at once, but a deletion waits for them, and they for it).
pub async fn hold(c: &impl ConnectionTrait, tenant: TenantId, id: LevelId) -> Result<Option<Level>, StoreError> {
    Ok(ml::Entity::find_by_id((tenant.0, id.0)).lock_shared().one(c).await?.map(Into::into))
}

/// Every level of the tenant, lowest `level_value` first (the first is the entry level).
pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Level>, StoreError> {
    let rows = ml::Entity::find()
        .filter(ml::Column::TenantId.eq(tenant.0))
        .order_by_asc(ml::Column::LevelValue)
        .all(c)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Writes the whole definition and the change time; returns the level as stored.
pub async fn update(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: LevelId,
    spec: LevelSpec,
    at: DateTime<Utc>,
) -> Result<Level, StoreError> {
    let mut am = ml::ActiveModel { tenant_id: Unchanged(tenant.0), id: Unchanged(id.0), ..Default::default() };
    set_spec(&mut am, spec);
    am.updated_at = Set(at);
    Ok(am.update(c).await?.into())
}

/// Deletes a level no member holds; false when one does.
pub async fn delete_unused(c: &impl ConnectionTrait, tenant: TenantId, id: LevelId) -> Result<bool, StoreError> {
    let held = mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::LevelId.eq(id.0))
        .count(c)
        .await?;
    if held > 0 {
        return Ok(false);
    }
    ml::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(true)
}
