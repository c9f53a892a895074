//! API clients for integrations: client credentials whose secret is shown once and stored as a
//! SHA-256 hash (the secret is 256 random bits, so a fast hash is enough), with scopes.

use crate::codes::Code;
use crate::identity::grants;
use crate::platform::audit;
use crate::{Access, App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use crm_domain::identity::ApiClientStatus;
use crm_domain::ids::ApiClientId;
use crm_store::StoreError;
use crm_store::identity::api_clients::{self, ApiClientChanges, ApiClientRecord, NewApiClient};
use crm_store::platform::config_generation;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// An integration client (never its secret).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClientView {
    pub id: ApiClientId,
    /// The public id to send with `POST /api/v1/auth/token`.
    #[cfg_attr(feature = "openapi", schema(example = "cli_3q2uU0kQb5f9x1Yz"))]
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub status: ApiClientStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ApiClientRecord> for ApiClientView {
    fn from(r: ApiClientRecord) -> Self {
        Self {
            id: r.id,
            scopes: r.scopes.into_iter().collect(),
            client_id: r.client_id,
            name: r.name,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A client with its secret: shown this once, stored only as a hash.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiClientSecret {
    #[serde(flatten)]
    pub client: ApiClientView,
    pub client_secret: String,
}

/// `POST /api-clients`, parsed: a name and at least one scope, each a permission that exists and
/// a tenant may grant, in the order asked (so a refusal names its index).
#[derive(Debug, Clone)]
pub struct CreateApiClient {
    pub name: String,
    pub scopes: Vec<String>,
}

fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of a presented secret with the stored hash.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    let a = hash_secret(presented);
    a.len() == stored_hash.len() && a.bytes().zip(stored_hash.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "api_client" };

impl App {
    pub async fn create_api_client(&self, who: &Access, cmd: CreateApiClient) -> Result<ApiClientSecret, AppError> {
        who.require("api_clients:write")?;
        grants::check_permissions(who, "/scopes", &cmd.scopes, &BTreeSet::new())?;
        let scopes: BTreeSet<String> = cmd.scopes.into_iter().collect();
        let client_id = format!("cli_{}", random_token(12));
        let secret = random_token(32);
        let id = ApiClientId::new();
        let tx = self.store().begin_write().await?;
        let new = NewApiClient {
            tenant_id: who.tenant_id,
            id,
            client_id: &client_id,
            name: &cmd.name,
            secret_hash: &hash_secret(&secret),
            scopes: &scopes,
            status: ApiClientStatus::Active,
        };
        let row = api_clients::insert(&tx, new).await?;
        let changes = json!({"name": cmd.name, "client_id": client_id, "scopes": scopes, "secret": "***"});
        audit::record(&tx, who, "create", "api_client", id.0, changes).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApiClientSecret { client: row.into(), client_secret: secret })
    }

    pub async fn list_api_clients(&self, who: &Access) -> Result<Vec<ApiClientView>, AppError> {
        who.require("api_clients:read")?;
        Ok(api_clients::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_api_client(&self, who: &Access, id: ApiClientId) -> Result<ApiClientView, AppError> {
        who.require("api_clients:read")?;
        api_clients::find(self.store().conn(), who.tenant_id, id).await?.map(Into::into).ok_or(NOT_FOUND)
    }

    /// A new secret; the old one and every access token issued with it stop working at once.
    pub async fn rotate_api_client_secret(&self, who: &Access, id: ApiClientId) -> Result<ApiClientSecret, AppError> {
        who.require("api_clients:write")?;
        let tx = self.store().begin_write().await?;
        // Locked, so a concurrent revoke cannot slip between the status check and the update.
        let row = api_clients::find_locked(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        if row.status != ApiClientStatus::Active {
            return Err(AppError::Conflict { code: Code::ApiClientRevoked, field: None });
        }
        let secret = random_token(32);
        api_clients::bump_token_generation(&tx, who.tenant_id, id).await?;
        let changes = ApiClientChanges { secret_hash: Some(hash_secret(&secret)), status: None };
        let row = api_clients::update(&tx, &row, changes).await?;
        audit::record(&tx, who, "rotate_secret", "api_client", id.0, json!({"secret": "***"})).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApiClientSecret { client: row.into(), client_secret: secret })
    }

    /// Revokes a client: its secret and every token it holds stop working at once.
    pub async fn revoke_api_client(&self, who: &Access, id: ApiClientId) -> Result<ApiClientView, AppError> {
        who.require("api_clients:write")?;
        let tx = self.store().begin_write().await?;
        let row = api_clients::find_locked(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let before = row.status;
        api_clients::bump_token_generation(&tx, who.tenant_id, id).await?;
        let changes = ApiClientChanges { secret_hash: None, status: Some(ApiClientStatus::Revoked) };
        let row = api_clients::update(&tx, &row, changes).await?;
        let changes = json!({"status": {"from": before, "to": ApiClientStatus::Revoked}});
        audit::record(&tx, who, "revoke", "api_client", id.0, changes).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row.into())
    }
}
