//! API clients for integrations: client credentials whose secret is shown once and stored as a
//! SHA-256 hash (the secret is 256 random bits, so a fast hash is enough), with scopes.

use crate::identity::grants;
use crate::platform::audit;
use crate::{Access, App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use crm_domain::identity::org::parse_name;
use crm_domain::identity::permission;
use crm_domain::ids::ApiClientId;
use crm_domain::{FieldError, FieldErrors};
use crm_store::StoreError;
use crm_store::identity::api_clients::{self, ApiClientRow, NewApiClient};
use crm_store::identity::positions::{decode_permissions, encode_permissions};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A client as the API shows it; the secret only in [`ApiClientSecret`].
#[derive(Debug, Clone)]
pub struct ApiClientView {
    pub id: Uuid,
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ApiClientRow> for ApiClientView {
    fn from(r: ApiClientRow) -> Self {
        Self {
            id: r.id,
            scopes: decode_permissions(&r.scopes).into_iter().collect(),
            client_id: r.client_id,
            name: r.name,
            status: r.status,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A client with its secret, returned once on creation and on rotation.
#[derive(Debug, Clone)]
pub struct ApiClientSecret {
    pub client: ApiClientView,
    pub client_secret: String,
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
    pub async fn create_api_client(
        &self,
        who: &Access,
        name: &str,
        requested: &[String],
    ) -> Result<ApiClientSecret, AppError> {
        who.require("api_clients:write")?;
        let mut errs = FieldErrors::default();
        let name = errs.check(parse_name("/name", name));
        let scopes = match permission::parse_set("/scopes", requested) {
            Ok(s) if s.is_empty() => {
                errs.push(FieldError::new("/scopes", "required"));
                None
            }
            Ok(s) => Some(s),
            Err(e) => {
                errs.0.extend(e.0);
                None
            }
        };
        errs.into_result()?;
        let (Some(name), Some(scopes)) = (name, scopes) else { return Err(AppError::Internal("unreachable".into())) };
        grants::check_permissions(who, "/scopes", requested, &BTreeSet::new())?;
        let client_id = format!("cli_{}", random_token(12));
        let secret = random_token(32);
        let tx = self.store().begin_write().await?;
        let row = api_clients::insert(
            &tx,
            NewApiClient {
                tenant_id: who.tenant_id,
                id: ApiClientId::new(),
                client_id: &client_id,
                name: &name,
                secret_hash: &hash_secret(&secret),
                scopes: &encode_permissions(&scopes),
                status: "active",
            },
        )
        .await?;
        audit::record(
            &tx,
            who,
            "create",
            "api_client",
            row.id,
            json!({"name": name, "client_id": client_id, "scopes": scopes, "secret": "***"}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApiClientSecret { client: row.into(), client_secret: secret })
    }

    pub async fn list_api_clients(&self, who: &Access) -> Result<Vec<ApiClientView>, AppError> {
        who.require("api_clients:read")?;
        Ok(api_clients::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect())
    }

    pub async fn get_api_client(&self, who: &Access, id: Uuid) -> Result<ApiClientView, AppError> {
        who.require("api_clients:read")?;
        api_clients::find(self.store().conn(), who.tenant_id, ApiClientId(id)).await?.map(Into::into).ok_or(NOT_FOUND)
    }

    /// A new secret; the old one and every access token issued with it stop working at once.
    pub async fn rotate_api_client_secret(&self, who: &Access, id: Uuid) -> Result<ApiClientSecret, AppError> {
        who.require("api_clients:write")?;
        let tx = self.store().begin_write().await?;
        // Locked, so a concurrent revoke cannot slip between the status check and the update.
        let row = api_clients::find_locked(&tx, who.tenant_id, ApiClientId(id)).await?.ok_or(NOT_FOUND)?;
        if row.status != "active" {
            return Err(AppError::Conflict { code: "api_client.revoked", field: None });
        }
        let secret = random_token(32);
        api_clients::bump_token_generation(&tx, who.tenant_id, ApiClientId(id)).await?;
        let row = api_clients::update(&tx, row, Some(&hash_secret(&secret)), None).await?;
        audit::record(&tx, who, "rotate_secret", "api_client", id, json!({"secret": "***"})).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApiClientSecret { client: row.into(), client_secret: secret })
    }

    /// Revokes a client: its secret and every token it holds stop working at once.
    pub async fn revoke_api_client(&self, who: &Access, id: Uuid) -> Result<ApiClientView, AppError> {
        who.require("api_clients:write")?;
        let tx = self.store().begin_write().await?;
        let row = api_clients::find_locked(&tx, who.tenant_id, ApiClientId(id)).await?.ok_or(NOT_FOUND)?;
        let before = row.status.clone();
        api_clients::bump_token_generation(&tx, who.tenant_id, ApiClientId(id)).await?;
        let row = api_clients::update(&tx, row, None, Some("revoked")).await?;
        audit::record(&tx, who, "revoke", "api_client", id, json!({"status": {"from": before, "to": "revoked"}}))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row.into())
    }
}
