//! API clients for integrations.

use crate::StoreError;
use crate::entities::api_clients as ac;
use crate::platform::{parse_stored, strings_stored};
use chrono::{DateTime, Utc};
use crm_domain::identity::ApiClientStatus;
use crm_domain::ids::{ApiClientId, TenantId};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::BTreeSet;

/// An integration client as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClientRecord {
    pub tenant_id: TenantId,
    pub id: ApiClientId,
    /// The public id, unique across tenants.
    pub client_id: String,
    pub name: String,
    /// SHA-256 of the secret, hex; the secret itself is never stored.
    pub secret_hash: String,
    pub scopes: BTreeSet<String>,
    pub status: ApiClientStatus,
    /// Bumped to revoke every access token issued before.
    pub token_generation: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ac::Model> for ApiClientRecord {
    type Error = StoreError;

    fn try_from(m: ac::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: ApiClientId(m.id),
            scopes: strings_stored("api_clients.scopes", &m.scopes)?.into_iter().collect(),
            status: parse_stored("api_clients.status", &m.status, ApiClientStatus::parse)?,
            client_id: m.client_id,
            name: m.name,
            secret_hash: m.secret_hash,
            token_generation: m.token_generation,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn record(m: Option<ac::Model>) -> Result<Option<ApiClientRecord>, StoreError> {
    m.map(ApiClientRecord::try_from).transpose()
}

/// A new client.
pub struct NewApiClient<'a> {
    pub tenant_id: TenantId,
    pub id: ApiClientId,
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a BTreeSet<String>,
    pub status: ApiClientStatus,
}

/// Fields a change may set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ApiClientChanges {
    pub secret_hash: Option<String>,
    pub status: Option<ApiClientStatus>,
}

pub async fn insert(c: &impl ConnectionTrait, n: NewApiClient<'_>) -> Result<ApiClientRecord, StoreError> {
    let now = Utc::now();
    let row = ac::ActiveModel {
        tenant_id: Set(n.tenant_id.0),
        id: Set(n.id.0),
        client_id: Set(n.client_id.to_owned()),
        name: Set(n.name.to_owned()),
        secret_hash: Set(n.secret_hash.to_owned()),
        scopes: Set(serde_json::to_string(n.scopes).unwrap_or_else(|_| "[]".to_owned())),
        status: Set(n.status.as_str().to_owned()),
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
) -> Result<Option<ApiClientRecord>, StoreError> {
    record(ac::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// The same row, locked until the transaction ends (`FOR NO KEY UPDATE` on PostgreSQL).
pub async fn find_locked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApiClientId,
) -> Result<Option<ApiClientRecord>, StoreError> {
    record(ac::Entity::find_by_id((tenant.0, id.0)).lock(LockType::NoKeyUpdate).one(c).await?)
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
pub async fn find_by_client_id(
    c: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<ApiClientRecord>, StoreError> {
    record(ac::Entity::find().filter(ac::Column::ClientId.eq(client_id)).one(c).await?)
}

pub async fn list(c: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<ApiClientRecord>, StoreError> {
    ac::Entity::find()
        .filter(ac::Column::TenantId.eq(tenant.0))
        .order_by_asc(ac::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(ApiClientRecord::try_from)
        .collect()
}

/// Writes `ch` to the client `row` names and returns the row as it is now.
pub async fn update(
    c: &impl ConnectionTrait,
    row: &ApiClientRecord,
    ch: ApiClientChanges,
) -> Result<ApiClientRecord, StoreError> {
    let mut am =
        ac::ActiveModel { tenant_id: Unchanged(row.tenant_id.0), id: Unchanged(row.id.0), ..Default::default() };
    if let Some(h) = ch.secret_hash {
        am.secret_hash = Set(h);
    }
    if let Some(s) = ch.status {
        am.status = Set(s.as_str().to_owned());
    }
    am.updated_at = Set(Utc::now());
    am.update(c).await?.try_into()
}
