//! Positions, and which positions and per-user grants each user holds.

use crate::StoreError;
use crate::entities::{positions as pos, user_grants as ug, user_positions as up};
use chrono::Utc;
use crm_domain::ids::{PositionId, TenantId, UserId};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::BTreeSet;

pub use pos::Model as PositionRow;

/// The stored form of a permission set: a JSON array, sorted.
pub fn encode_permissions(p: &BTreeSet<String>) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "[]".to_owned())
}

pub fn decode_permissions(s: &str) -> BTreeSet<String> {
    serde_json::from_str(s).unwrap_or_default()
}

pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PositionId,
    name: &str,
    data_scope: &str,
    permissions: &BTreeSet<String>,
) -> Result<PositionRow, StoreError> {
    let now = Utc::now();
    let row = pos::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(id.0),
        name: Set(name.to_owned()),
        data_scope: Set(data_scope.to_owned()),
        permissions: Set(encode_permissions(permissions)),
        grants_all: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    pos::Entity::insert(row).exec_without_returning(c).await?;
    find(c, tenant, id).await?.ok_or_else(|| StoreError::Config("position vanished after insert".to_owned()))
}

/// Marks the position as granting every tenant permission (the seeded Administrator).
pub async fn set_grants_all(c: &impl ConnectionTrait, row: PositionRow) -> Result<PositionRow, StoreError> {
    let mut am: pos::ActiveModel = row.into();
    am.grants_all = Set(true);
    Ok(am.update(c).await?)
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PositionId,
) -> Result<Option<PositionRow>, StoreError> {
    Ok(pos::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// The same row, locked until the transaction ends (`FOR UPDATE` on PostgreSQL).
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PositionId,
) -> Result<Option<PositionRow>, StoreError> {
    Ok(pos::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?)
}

/// The positions among `ids` that exist, locked until the transaction ends, in id order (one
/// fixed order, so two transactions locking overlapping sets cannot deadlock).
pub async fn lock_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &BTreeSet<uuid::Uuid>,
) -> Result<Vec<PositionRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(pos::Entity::find()
        .filter(pos::Column::TenantId.eq(tenant.0))
        .filter(pos::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(pos::Column::Id)
        .lock_exclusive()
        .all(c)
        .await?)
}

/// The ids of the tenant's built-in positions (the seeded Administrator, `grants_all`).
pub async fn built_in_ids(c: &impl ConnectionTrait, tenant: TenantId) -> Result<BTreeSet<uuid::Uuid>, StoreError> {
    Ok(pos::Entity::find()
        .filter(pos::Column::TenantId.eq(tenant.0))
        .filter(pos::Column::GrantsAll.eq(true))
        .all(c)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// The users holding any of `positions`.
pub async fn holders(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    positions: &BTreeSet<uuid::Uuid>,
) -> Result<Vec<uuid::Uuid>, StoreError> {
    if positions.is_empty() {
        return Ok(Vec::new());
    }
    Ok(up::Entity::find()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::PositionId.is_in(positions.iter().copied()))
        .all(c)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
}

pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<PositionRow>, StoreError> {
    Ok(pos::Entity::find().filter(pos::Column::TenantId.eq(tenant.0)).order_by_asc(pos::Column::Name).all(c).await?)
}

pub async fn update(
    c: &impl ConnectionTrait,
    row: PositionRow,
    name: Option<&str>,
    data_scope: Option<&str>,
    permissions: Option<&BTreeSet<String>>,
) -> Result<PositionRow, StoreError> {
    let mut am: pos::ActiveModel = row.into();
    if let Some(n) = name {
        am.name = Set(n.to_owned());
    }
    if let Some(s) = data_scope {
        am.data_scope = Set(s.to_owned());
    }
    if let Some(p) = permissions {
        am.permissions = Set(encode_permissions(p));
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(c).await?)
}

pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: PositionId) -> Result<(), StoreError> {
    pos::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}

pub async fn count_holders(c: &impl ConnectionTrait, tenant: TenantId, id: PositionId) -> Result<u64, StoreError> {
    Ok(up::Entity::find()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::PositionId.eq(id.0))
        .count(c)
        .await?)
}

/// The positions a user holds.
pub async fn of_user(c: &impl ConnectionTrait, tenant: TenantId, user: UserId) -> Result<Vec<PositionRow>, StoreError> {
    let ids: Vec<_> = up::Entity::find()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::UserId.eq(user.0))
        .all(c)
        .await?
        .into_iter()
        .map(|r| r.position_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(pos::Entity::find()
        .filter(pos::Column::TenantId.eq(tenant.0))
        .filter(pos::Column::Id.is_in(ids))
        .order_by_asc(pos::Column::Name)
        .all(c)
        .await?)
}

/// Replaces the positions a user holds.
pub async fn set_for_user(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    positions: &[PositionId],
) -> Result<(), StoreError> {
    up::Entity::delete_many()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::UserId.eq(user.0))
        .exec(c)
        .await?;
    let rows: Vec<up::ActiveModel> = positions
        .iter()
        .map(|p| up::ActiveModel { tenant_id: Set(tenant.0), user_id: Set(user.0), position_id: Set(p.0) })
        .collect();
    if !rows.is_empty() {
        up::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// The per-user grants.
pub async fn grants_of_user(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<BTreeSet<String>, StoreError> {
    Ok(ug::Entity::find()
        .filter(ug::Column::TenantId.eq(tenant.0))
        .filter(ug::Column::UserId.eq(user.0))
        .all(c)
        .await?
        .into_iter()
        .map(|g| g.permission)
        .collect())
}

/// Replaces the per-user grants.
pub async fn set_grants(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    grants: &BTreeSet<String>,
) -> Result<(), StoreError> {
    ug::Entity::delete_many()
        .filter(ug::Column::TenantId.eq(tenant.0))
        .filter(ug::Column::UserId.eq(user.0))
        .exec(c)
        .await?;
    let rows: Vec<ug::ActiveModel> = grants
        .iter()
        .map(|g| ug::ActiveModel { tenant_id: Set(tenant.0), user_id: Set(user.0), permission: Set(g.clone()) })
        .collect();
    if !rows.is_empty() {
        ug::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// `(user, position)` pairs for many users at once (one query for a page of users).
pub async fn of_users(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    users: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, uuid::Uuid)>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(up::Entity::find()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::UserId.is_in(users.to_vec()))
        .all(c)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r.position_id))
        .collect())
}

/// `(user, permission)` grant pairs for many users at once.
pub async fn grants_of_users(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    users: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, String)>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ug::Entity::find()
        .filter(ug::Column::TenantId.eq(tenant.0))
        .filter(ug::Column::UserId.is_in(users.to_vec()))
        .all(c)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r.permission))
        .collect())
}
