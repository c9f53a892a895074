//! Tenant rows.

use crate::StoreError;
use crate::entities::tenants;
use chrono::Utc;
use crm_domain::ids::TenantId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

pub use tenants::Model as TenantRow;

pub async fn find_by_code(c: &impl ConnectionTrait, code: &str) -> Result<Option<TenantRow>, StoreError> {
    Ok(tenants::Entity::find().filter(tenants::Column::Code.eq(code)).one(c).await?)
}

pub async fn find(c: &impl ConnectionTrait, id: TenantId) -> Result<Option<TenantRow>, StoreError> {
    Ok(tenants::Entity::find_by_id(id.0).one(c).await?)
}

pub async fn insert(c: &impl ConnectionTrait, id: TenantId, code: &str, name: &str) -> Result<TenantRow, StoreError> {
    let now = Utc::now();
    let row = tenants::ActiveModel {
        id: Set(id.0),
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    tenants::Entity::insert(row).exec_without_returning(c).await?;
    find(c, id).await?.ok_or_else(|| StoreError::Config("tenant vanished after insert".to_owned()))
}

/// Every tenant, by code.
pub async fn list(c: &impl ConnectionTrait) -> Result<Vec<TenantRow>, StoreError> {
    Ok(tenants::Entity::find().order_by_asc(tenants::Column::Code).all(c).await?)
}
