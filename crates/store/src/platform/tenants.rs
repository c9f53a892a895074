//! Tenant rows.

use crate::StoreError;
use crate::entities::tenants;
use chrono::{DateTime, Utc};
use crm_domain::ids::TenantId;
use crm_domain::platform::TenantCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    pub id: TenantId,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<tenants::Model> for TenantRecord {
    fn from(m: tenants::Model) -> Self {
        Self { id: TenantId(m.id), code: m.code, name: m.name, created_at: m.created_at, updated_at: m.updated_at }
    }
}

/// A new tenant.
pub struct NewTenant<'a> {
    pub id: TenantId,
    pub code: &'a TenantCode,
    pub name: &'a str,
}

use crate::stored::Insertion;

pub async fn find_by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<TenantRecord>, StoreError> {
    Ok(tenants::Entity::find().filter(tenants::Column::Code.eq(code)).one(c).await?.map(Into::into))
}

pub async fn find(c: &impl ConnectionTrait, id: TenantId) -> Result<Option<TenantRecord>, StoreError> {
    Ok(tenants::Entity::find_by_id(id.0).one(c).await?.map(Into::into))
}

fn active(t: &NewTenant<'_>) -> tenants::ActiveModel {
    let now = Utc::now();
    tenants::ActiveModel {
        id: Set(t.id.0),
        code: Set(t.code.as_str().to_owned()),
        name: Set(t.name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        config_generation: Set(0),
    }
}

/// Inserts the tenant; a taken code is a conflict on [`crate::UniqueKey::TenantCode`].
pub async fn insert(c: &impl ConnectionTrait, t: NewTenant<'_>) -> Result<TenantRecord, StoreError> {
    tenants::Entity::insert(active(&t)).exec_without_returning(c).await?;
    find(c, t.id).await?.ok_or_else(|| StoreError::Config("tenant vanished after insert".to_owned()))
}

/// Inserts the tenant unless one with its code exists (`ON CONFLICT DO NOTHING`): when several
/// instances start on an empty database at once, one inserts and the others find it there.
pub async fn insert_if_absent(
    c: &impl ConnectionTrait,
    t: NewTenant<'_>,
) -> Result<Insertion<TenantRecord>, StoreError> {
    let res = tenants::Entity::insert(active(&t))
        .on_conflict_do_nothing_on([tenants::Column::Code])
        .exec_without_returning(c)
        .await?;
    if crate::stored::insertion(res) == Insertion::AlreadyThere {
        return Ok(Insertion::AlreadyThere);
    }
    let row = find(c, t.id).await?.ok_or_else(|| StoreError::Config("tenant vanished after insert".to_owned()))?;
    Ok(Insertion::Inserted(row))
}

/// Every tenant, by code.
pub async fn list(c: &impl ConnectionTrait) -> Result<Vec<TenantRecord>, StoreError> {
    Ok(tenants::Entity::find().order_by_asc(tenants::Column::Code).all(c).await?.into_iter().map(Into::into).collect())
}
