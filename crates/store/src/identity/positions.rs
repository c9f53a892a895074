//! Positions, and which positions and per-user grants each user holds.

use crate::StoreError;
use crate::entities::{positions as pos, user_grants as ug, user_positions as up};
use crate::platform::{parse_stored, strings_stored};
use chrono::{DateTime, Utc};
use crm_domain::identity::DataScope;
use crm_domain::ids::{PositionId, TenantId, UserId};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::BTreeSet;

/// A position (role) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRecord {
    pub tenant_id: TenantId,
    pub id: PositionId,
    pub name: String,
    pub data_scope: DataScope,
    /// The permissions it lists (the built-in Administrator lists them as they were when seeded).
    pub permissions: BTreeSet<String>,
    /// The tenant's built-in Administrator position: every tenant permission, including ones added later.
    pub grants_all: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<pos::Model> for PositionRecord {
    type Error = StoreError;

    fn try_from(m: pos::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: PositionId(m.id),
            data_scope: parse_stored("positions.data_scope", &m.data_scope, DataScope::parse)?,
            permissions: strings_stored("positions.permissions", &m.permissions)?.into_iter().collect(),
            name: m.name,
            grants_all: m.grants_all,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn records(rows: Vec<pos::Model>) -> Result<Vec<PositionRecord>, StoreError> {
    rows.into_iter().map(PositionRecord::try_from).collect()
}

/// The stored form of a permission set: a JSON array, sorted.
fn encode_permissions(p: &BTreeSet<String>) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "[]".to_owned())
}

/// A new position.
pub struct NewPosition<'a> {
    pub tenant_id: TenantId,
    pub id: PositionId,
    pub name: &'a str,
    pub data_scope: DataScope,
    pub permissions: &'a BTreeSet<String>,
    pub grants_all: bool,
}

/// Fields a change may set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct PositionChanges<'a> {
    pub name: Option<&'a str>,
    pub data_scope: Option<DataScope>,
    pub permissions: Option<&'a BTreeSet<String>>,
}

pub async fn insert(c: &impl ConnectionTrait, p: NewPosition<'_>) -> Result<PositionRecord, StoreError> {
    let now = Utc::now();
    let row = pos::ActiveModel {
        tenant_id: Set(p.tenant_id.0),
        id: Set(p.id.0),
        name: Set(p.name.to_owned()),
        data_scope: Set(p.data_scope.as_str().to_owned()),
        permissions: Set(encode_permissions(p.permissions)),
        grants_all: Set(p.grants_all),
        created_at: Set(now),
        updated_at: Set(now),
    };
    pos::Entity::insert(row).exec_without_returning(c).await?;
    find(c, p.tenant_id, p.id).await?.ok_or_else(|| StoreError::Config("position vanished after insert".to_owned()))
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PositionId,
) -> Result<Option<PositionRecord>, StoreError> {
    pos::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(TryInto::try_into).transpose()
}

/// The same row, locked until the transaction ends (`FOR UPDATE` on PostgreSQL).
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: PositionId,
) -> Result<Option<PositionRecord>, StoreError> {
    pos::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?.map(TryInto::try_into).transpose()
}

/// The positions among `ids` that exist, locked until the transaction ends, in id order (one
/// fixed order, so two transactions locking overlapping sets cannot deadlock).
pub async fn lock_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &BTreeSet<PositionId>,
) -> Result<Vec<PositionRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    records(
        pos::Entity::find()
            .filter(pos::Column::TenantId.eq(tenant.0))
            .filter(pos::Column::Id.is_in(ids.iter().map(|p| p.0)))
            .order_by_asc(pos::Column::Id)
            .lock_exclusive()
            .all(c)
            .await?,
    )
}

/// The ids of the tenant's built-in positions (the seeded Administrator, `grants_all`).
pub async fn built_in_ids(c: &impl ConnectionTrait, tenant: TenantId) -> Result<BTreeSet<PositionId>, StoreError> {
    Ok(pos::Entity::find()
        .filter(pos::Column::TenantId.eq(tenant.0))
        .filter(pos::Column::GrantsAll.eq(true))
        .all(c)
        .await?
        .into_iter()
        .map(|p| PositionId(p.id))
        .collect())
}

/// The users holding any of `positions`.
pub async fn holders(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    positions: &BTreeSet<PositionId>,
) -> Result<Vec<UserId>, StoreError> {
    if positions.is_empty() {
        return Ok(Vec::new());
    }
    Ok(up::Entity::find()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::PositionId.is_in(positions.iter().map(|p| p.0)))
        .all(c)
        .await?
        .into_iter()
        .map(|r| UserId(r.user_id))
        .collect())
}

pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<PositionRecord>, StoreError> {
    records(
        pos::Entity::find().filter(pos::Column::TenantId.eq(tenant.0)).order_by_asc(pos::Column::Name).all(c).await?,
    )
}

/// Writes `ch` to the position `row` names and returns the row as it is now.
pub async fn update(
    c: &impl ConnectionTrait,
    row: &PositionRecord,
    ch: PositionChanges<'_>,
) -> Result<PositionRecord, StoreError> {
    let mut am =
        pos::ActiveModel { tenant_id: Unchanged(row.tenant_id.0), id: Unchanged(row.id.0), ..Default::default() };
    if let Some(n) = ch.name {
        am.name = Set(n.to_owned());
    }
    if let Some(s) = ch.data_scope {
        am.data_scope = Set(s.as_str().to_owned());
    }
    if let Some(p) = ch.permissions {
        am.permissions = Set(encode_permissions(p));
    }
    am.updated_at = Set(Utc::now());
    am.update(c).await?.try_into()
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

/// The positions a user holds, by name.
pub async fn of_user(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<PositionRecord>, StoreError> {
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
    records(
        pos::Entity::find()
            .filter(pos::Column::TenantId.eq(tenant.0))
            .filter(pos::Column::Id.is_in(ids))
            .order_by_asc(pos::Column::Name)
            .all(c)
            .await?,
    )
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
    users: &[UserId],
) -> Result<Vec<(UserId, PositionId)>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(up::Entity::find()
        .filter(up::Column::TenantId.eq(tenant.0))
        .filter(up::Column::UserId.is_in(users.iter().map(|u| u.0)))
        .all(c)
        .await?
        .into_iter()
        .map(|r| (UserId(r.user_id), PositionId(r.position_id)))
        .collect())
}

/// `(user, permission)` grant pairs for many users at once.
pub async fn grants_of_users(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    users: &[UserId],
) -> Result<Vec<(UserId, String)>, StoreError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ug::Entity::find()
        .filter(ug::Column::TenantId.eq(tenant.0))
        .filter(ug::Column::UserId.is_in(users.iter().map(|u| u.0)))
        .all(c)
        .await?
        .into_iter()
        .map(|r| (UserId(r.user_id), r.permission))
        .collect())
}
