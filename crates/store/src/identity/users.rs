//! User rows, always scoped by tenant, and by data scope where a caller lists or reads them.

use crate::StoreError;
use crate::entities::users;
use crate::scope::{self, ScopeFilter};
use chrono::Utc;
use crm_domain::ids::{OrgUnitId, TenantId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
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
    pub org_unit_id: Option<OrgUnitId>,
}

/// Fields a change may set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub org_unit_id: Option<Option<Uuid>>,
    pub status: Option<String>,
    pub password_hash: Option<String>,
}

pub async fn insert(c: &impl ConnectionTrait, u: NewUser<'_>) -> Result<UserRow, StoreError> {
    let now = Utc::now();
    let row = users::ActiveModel {
        tenant_id: Set(u.tenant_id.0),
        id: Set(u.id.0),
        username: Set(u.username.to_owned()),
        password_hash: Set(u.password_hash.to_owned()),
        display_name: Set(u.display_name.to_owned()),
        status: Set(u.status.to_owned()),
        is_platform_admin: Set(u.is_platform_admin),
        org_unit_id: Set(u.org_unit_id.map(|o| o.0)),
        token_generation: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    users::Entity::insert(row).exec_without_returning(c).await?;
    find(c, u.tenant_id, u.id).await?.ok_or_else(|| StoreError::Config("user vanished after insert".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: UserId) -> Result<Option<UserRow>, StoreError> {
    Ok(users::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// The same row, locked until the transaction ends (`FOR NO KEY UPDATE` on PostgreSQL; SQLite's write
/// transaction already excludes other writers): a check made on it holds until commit.
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: UserId,
) -> Result<Option<UserRow>, StoreError> {
    Ok(users::Entity::find_by_id((tenant.0, id.0)).lock(LockType::NoKeyUpdate).one(c).await?)
}

fn scoped(tenant: TenantId, filter: &ScopeFilter, id: UserId) -> Select<users::Entity> {
    users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::Id.eq(id.0))
        .filter(scope::by_unit(tenant.0, filter, users::Column::OrgUnitId, users::Column::Id))
}

/// One user, if the scope lets the caller see it.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: UserId,
) -> Result<Option<UserRow>, StoreError> {
    Ok(scoped(tenant, filter, id).one(c).await?)
}

/// [`find_scoped`], locking the row until the transaction ends (see [`find_locked`]).
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: UserId,
) -> Result<Option<UserRow>, StoreError> {
    Ok(scoped(tenant, filter, id).lock(LockType::NoKeyUpdate).one(c).await?)
}

/// Revokes every access token issued to the user so far, in one atomic statement.
pub async fn bump_token_generation(c: &impl ConnectionTrait, tenant: TenantId, id: UserId) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::TokenGeneration, Expr::col(users::Column::TokenGeneration).add(1))
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::Id.eq(id.0))
        .exec(c)
        .await?;
    Ok(())
}

/// How many of `ids` are active users (the holders of a position that still count).
pub async fn count_active(c: &impl ConnectionTrait, tenant: TenantId, ids: Vec<Uuid>) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::Id.is_in(ids))
        .filter(users::Column::Status.eq("active"))
        .count(c)
        .await?)
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
    Ok(users::Entity::find().filter(users::Column::TenantId.eq(tenant.0)).count(c).await?)
}

/// Filters of the user list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub status: Option<String>,
    pub org_unit_id: Option<Uuid>,
}

/// One page of the users the scope shows, in id order (ids are time-ordered), after `after`.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    f: &UserFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<UserRow>, StoreError> {
    let mut q = users::Entity::find().filter(users::Column::TenantId.eq(tenant.0)).filter(scope::by_unit(
        tenant.0,
        filter,
        users::Column::OrgUnitId,
        users::Column::Id,
    ));
    if let Some(s) = &f.status {
        q = q.filter(users::Column::Status.eq(s.clone()));
    }
    if let Some(u) = f.org_unit_id {
        q = q.filter(users::Column::OrgUnitId.eq(u));
    }
    if let Some(a) = after {
        q = q.filter(users::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(users::Column::Id).limit(limit).all(c).await?)
}

pub async fn update(c: &impl ConnectionTrait, row: UserRow, ch: UserChanges) -> Result<UserRow, StoreError> {
    let mut am: users::ActiveModel = row.into();
    if let Some(v) = ch.display_name {
        am.display_name = Set(v);
    }
    if let Some(v) = ch.org_unit_id {
        am.org_unit_id = Set(v);
    }
    if let Some(v) = ch.status {
        am.status = Set(v);
    }
    if let Some(v) = ch.password_hash {
        am.password_hash = Set(v);
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(c).await?)
}
