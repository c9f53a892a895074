//! User rows, always scoped by tenant.

use crate::StoreError;
use crate::entities::users;
use chrono::{DateTime, Utc};
use crm_domain::ids::{TenantId, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use users::Model as UserRow;

/// A new user's stored fields.
pub struct NewUser<'a> {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub status: &'a str,
    pub is_platform_admin: bool,
}

pub async fn insert(c: &impl ConnectionTrait, u: NewUser<'_>) -> Result<UserRow, StoreError> {
    let now: DateTime<Utc> = Utc::now();
    let row = users::ActiveModel {
        tenant_id: Set(u.tenant_id.0),
        id: Set(u.id.0),
        username: Set(u.username.to_owned()),
        password_hash: Set(u.password_hash.to_owned()),
        display_name: Set(u.display_name.to_owned()),
        status: Set(u.status.to_owned()),
        is_platform_admin: Set(u.is_platform_admin),
        created_at: Set(now),
        updated_at: Set(now),
    };
    users::Entity::insert(row).exec_without_returning(c).await?;
    find(c, u.tenant_id, u.id)
        .await?
        .ok_or_else(|| StoreError::Config("user vanished after insert".to_owned()))
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: UserId,
) -> Result<Option<UserRow>, StoreError> {
    Ok(users::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

pub async fn find_by_username(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    username: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::Username.eq(username))
        .one(c)
        .await?)
}

pub async fn count(c: &impl ConnectionTrait, tenant: TenantId) -> Result<u64, StoreError> {
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .count(c)
        .await?)
}

/// One page of a tenant's users in id order (ids are time-ordered), after `after` when given.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<UserRow>, StoreError> {
    let mut q = users::Entity::find().filter(users::Column::TenantId.eq(tenant.0));
    if let Some(a) = after {
        q = q.filter(users::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(users::Column::Id)
        .limit(limit)
        .all(c)
        .await?)
}
