//! A tenant's settings: one JSON value per key; `crm-app` owns the keys and their types.

use crate::StoreError;
use crate::entities::tenant_settings as ts;
use chrono::Utc;
use crm_domain::ids::TenantId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Every stored `(key, value)` of the tenant.
pub async fn all(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<(String, String)>, StoreError> {
    Ok(ts::Entity::find()
        .filter(ts::Column::TenantId.eq(tenant.0))
        .all(c)
        .await?
        .into_iter()
        .map(|r| (r.key, r.value))
        .collect())
}

/// Stores `value` under `key` (insert or replace).
pub async fn put(c: &impl ConnectionTrait, tenant: TenantId, key: &str, value: &str) -> Result<(), StoreError> {
    let row = ts::ActiveModel {
        tenant_id: Set(tenant.0),
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(Utc::now()),
    };
    ts::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([ts::Column::TenantId, ts::Column::Key])
                .update_columns([ts::Column::Value, ts::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(c)
        .await?;
    Ok(())
}

/// Removes `key` (back to its default).
pub async fn remove(c: &impl ConnectionTrait, tenant: TenantId, key: &str) -> Result<(), StoreError> {
    ts::Entity::delete_many().filter(ts::Column::TenantId.eq(tenant.0)).filter(ts::Column::Key.eq(key)).exec(c).await?;
    Ok(())
}

/// Every tenant that has `key` set, with its value (for jobs that run per tenant).
pub async fn tenants_with(c: &impl ConnectionTrait, key: &str) -> Result<Vec<(TenantId, String)>, StoreError> {
    Ok(ts::Entity::find()
        .filter(ts::Column::Key.eq(key))
        .all(c)
        .await?
        .into_iter()
        .map(|r| (TenantId(r.tenant_id), r.value))
        .collect())
}
