//! User rows, always scoped by tenant, and by data scope where a caller lists or reads them.

use crate::StoreError;
use crate::entities::users;
use crate::platform::parse_stored;
use crate::scope::{self, ScopeFilter};
use chrono::{DateTime, Utc};
use crm_domain::identity::UserStatus;
use crm_domain::ids::{OrgUnitId, TenantId, UserId};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

/// A staff user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub username: String,
    /// The argon2id PHC string; never shown.
    pub password_hash: String,
    pub display_name: String,
    pub status: UserStatus,
    pub is_platform_admin: bool,
    pub org_unit_id: Option<OrgUnitId>,
    /// Bumped to revoke every access token issued before.
    pub token_generation: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<users::Model> for UserRecord {
    type Error = StoreError;

    fn try_from(m: users::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: UserId(m.id),
            status: parse_stored("users.status", &m.status, UserStatus::parse)?,
            username: m.username,
            password_hash: m.password_hash,
            display_name: m.display_name,
            is_platform_admin: m.is_platform_admin,
            org_unit_id: m.org_unit_id.map(OrgUnitId),
            token_generation: m.token_generation,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn record(m: Option<users::Model>) -> Result<Option<UserRecord>, StoreError> {
    m.map(UserRecord::try_from).transpose()
}

/// A new user's stored fields.
pub struct NewUser<'a> {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub status: UserStatus,
    pub is_platform_admin: bool,
    pub org_unit_id: Option<OrgUnitId>,
}

/// Fields a change may set; `None` leaves a field as it is (`org_unit_id: Some(None)` clears it).
#[derive(Debug, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub org_unit_id: Option<Option<OrgUnitId>>,
    pub status: Option<UserStatus>,
    pub password_hash: Option<String>,
}

pub async fn insert(c: &impl ConnectionTrait, u: NewUser<'_>) -> Result<UserRecord, StoreError> {
    let now = Utc::now();
    let row = users::ActiveModel {
        tenant_id: Set(u.tenant_id.0),
        id: Set(u.id.0),
        username: Set(u.username.to_owned()),
        password_hash: Set(u.password_hash.to_owned()),
        display_name: Set(u.display_name.to_owned()),
        status: Set(u.status.as_str().to_owned()),
        is_platform_admin: Set(u.is_platform_admin),
        org_unit_id: Set(u.org_unit_id.map(|o| o.0)),
        token_generation: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    users::Entity::insert(row).exec_without_returning(c).await?;
    find(c, u.tenant_id, u.id).await?.ok_or_else(|| StoreError::Config("user vanished after insert".to_owned()))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: UserId) -> Result<Option<UserRecord>, StoreError> {
    record(users::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// The same row, locked until the transaction ends (`FOR NO KEY UPDATE` on PostgreSQL; SQLite's write
/// transaction already excludes other writers): a check made on it holds until commit.
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: UserId,
) -> Result<Option<UserRecord>, StoreError> {
    record(users::Entity::find_by_id((tenant.0, id.0)).lock(LockType::NoKeyUpdate).one(c).await?)
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
) -> Result<Option<UserRecord>, StoreError> {
    record(scoped(tenant, filter, id).one(c).await?)
}

/// [`find_scoped`], locking the row until the transaction ends (see [`find_locked`]).
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: UserId,
) -> Result<Option<UserRecord>, StoreError> {
    record(scoped(tenant, filter, id).lock(LockType::NoKeyUpdate).one(c).await?)
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
pub async fn count_active(c: &impl ConnectionTrait, tenant: TenantId, ids: &[UserId]) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::Id.is_in(ids.iter().map(|u| u.0)))
        .filter(users::Column::Status.eq(UserStatus::Active.as_str()))
        .count(c)
        .await?)
}

pub async fn find_by_username(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    username: &str,
) -> Result<Option<UserRecord>, StoreError> {
    record(
        users::Entity::find()
            .filter(users::Column::TenantId.eq(tenant.0))
            .filter(users::Column::Username.eq(username))
            .one(c)
            .await?,
    )
}

pub async fn count(c: &impl ConnectionTrait, tenant: TenantId) -> Result<u64, StoreError> {
    Ok(users::Entity::find().filter(users::Column::TenantId.eq(tenant.0)).count(c).await?)
}

/// Filters of the user list.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    pub org_unit_id: Option<OrgUnitId>,
}

/// One page of the users the scope shows, in id order (ids are time-ordered), after `after`.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    f: &UserFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<UserRecord>, StoreError> {
    let mut q = users::Entity::find().filter(users::Column::TenantId.eq(tenant.0)).filter(scope::by_unit(
        tenant.0,
        filter,
        users::Column::OrgUnitId,
        users::Column::Id,
    ));
    if let Some(s) = f.status {
        q = q.filter(users::Column::Status.eq(s.as_str()));
    }
    if let Some(u) = f.org_unit_id {
        q = q.filter(users::Column::OrgUnitId.eq(u.0));
    }
    if let Some(a) = after {
        q = q.filter(users::Column::Id.gt(a));
    }
    q.order_by_asc(users::Column::Id).limit(limit).all(c).await?.into_iter().map(UserRecord::try_from).collect()
}

/// Writes `ch` to the user `row` names and returns the row as it is now.
pub async fn update(c: &impl ConnectionTrait, row: UserRecord, ch: UserChanges) -> Result<UserRecord, StoreError> {
    let mut am =
        users::ActiveModel { tenant_id: Unchanged(row.tenant_id.0), id: Unchanged(row.id.0), ..Default::default() };
    if let Some(v) = ch.display_name {
        am.display_name = Set(v);
    }
    if let Some(v) = ch.org_unit_id {
        am.org_unit_id = Set(v.map(|o| o.0));
    }
    if let Some(v) = ch.status {
        am.status = Set(v.as_str().to_owned());
    }
    if let Some(v) = ch.password_hash {
        am.password_hash = Set(v);
    }
    am.updated_at = Set(Utc::now());
    am.update(c).await?.try_into()
}
