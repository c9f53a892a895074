//! API clients for integrations.

use crate::StoreError;
use crate::entities::api_clients as ac;
use chrono::Utc;
use crm_domain::ids::{ApiClientId, TenantId};
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

pub use ac::Model as ApiClientRow;

pub struct NewApiClient<'a> {
    pub tenant_id: TenantId,
    pub id: ApiClientId,
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a str,
    pub status: &'a str,
}

pub async fn insert(c: &impl ConnectionTrait, n: NewApiClient<'_>) -> Result<ApiClientRow, StoreError> {
    let now = Utc::now();
    let row = ac::ActiveModel {
        tenant_id: Set(n.tenant_id.0),
        id: Set(n.id.0),
        client_id: Set(n.client_id.to_owned()),
        name: Set(n.name.to_owned()),
        secret_hash: Set(n.secret_hash.to_owned()),
        scopes: Set(n.scopes.to_owned()),
        status: Set(n.status.to_owned()),
        token_generation: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    ac::Entity::insert(row).exec_without_returning(c).await?;
    find(c, n.tenant_id, n.id).await?.ok_or_else(|| StoreError::Config("api client vanished after insert".to_owned()))
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApiClientId,
) -> Result<Option<ApiClientRow>, StoreError> {
    Ok(ac::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// The same row, locked until the transaction ends (`FOR NO KEY UPDATE` on PostgreSQL).
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApiClientId,
) -> Result<Option<ApiClientRow>, StoreError> {
    Ok(ac::Entity::find_by_id((tenant.0, id.0)).lock(LockType::NoKeyUpdate).one(c).await?)
}

/// Revokes every access token issued to the client so far, in one atomic statement.
pub async fn bump_token_generation(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApiClientId,
) -> Result<(), StoreError> {
    ac::Entity::update_many()
        .col_expr(ac::Column::TokenGeneration, Expr::col(ac::Column::TokenGeneration).add(1))
        .filter(ac::Column::TenantId.eq(tenant.0))
        .filter(ac::Column::Id.eq(id.0))
        .exec(c)
        .await?;
    Ok(())
}

/// By the public `client_id` (unique across tenants).
pub async fn find_by_client_id(c: &impl ConnectionTrait, client_id: &str) -> Result<Option<ApiClientRow>, StoreError> {
    Ok(ac::Entity::find().filter(ac::Column::ClientId.eq(client_id)).one(c).await?)
}

pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<ApiClientRow>, StoreError> {
    Ok(ac::Entity::find().filter(ac::Column::TenantId.eq(tenant.0)).order_by_asc(ac::Column::Id).all(c).await?)
}

pub async fn update(
    c: &impl ConnectionTrait,
    row: ApiClientRow,
    secret_hash: Option<&str>,
    status: Option<&str>,
) -> Result<ApiClientRow, StoreError> {
    let mut am: ac::ActiveModel = row.into();
    if let Some(h) = secret_hash {
        am.secret_hash = Set(h.to_owned());
    }
    if let Some(s) = status {
        am.status = Set(s.to_owned());
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(c).await?)
}
