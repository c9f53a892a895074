//! API clients for integrations (client credentials with scopes).

use super::ApiResult;
use super::common::IdPath;
use crate::extract::{Allowed, Json, Path};
use crate::perm::{ApiClientsRead, ApiClientsWrite};
use crate::state::ApiState;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use crm_app::identity::api_clients::{ApiClientSecret, ApiClientView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A new integration client.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sales office", "scopes": ["users:read"]}))]
pub struct CreateApiClientRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Permission names from `GET /api/v1/permissions`; at least one.
    pub scopes: Vec<String>,
}

/// An integration client (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientResponse {
    pub id: Uuid,
    /// The public id to send with `POST /api/v1/auth/token`.
    #[schema(example = "cli_3q2uU0kQb5f9x1Yz")]
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// `active` or `revoked`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ApiClientView> for ApiClientResponse {
    fn from(c: ApiClientView) -> Self {
        Self {
            id: c.id,
            client_id: c.client_id,
            name: c.name,
            scopes: c.scopes,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A client with its secret: shown this once, stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientWithSecret {
    #[serde(flatten)]
    pub client: ApiClientResponse,
    pub client_secret: String,
}

impl From<ApiClientSecret> for ApiClientWithSecret {
    fn from(s: ApiClientSecret) -> Self {
        Self { client: s.client.into(), client_secret: s.client_secret }
    }
}

/// The tenant's clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiClientList {
    pub items: Vec<ApiClientResponse>,
}

/// Creates a client; the secret is in this response only.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:write"])), request_body = CreateApiClientRequest,
    responses(
        (status = 201, description = "Created; keep the secret now", body = ApiClientWithSecret),
        (status = 403, description = "Lacks the permission (`permission.denied`), or asks for a scope the caller does not hold (`permission.grant_exceeds_own`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/api-clients")]
pub async fn create_api_client(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsWrite>,
    body: Json<CreateApiClientRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let c = state.app.create_api_client(&who.0, &b.name, &b.scopes).await?;
    Ok(HttpResponse::Created().json(ApiClientWithSecret::from(c)))
}

/// The tenant's clients.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:read"])), responses((status = 200, description = "Clients", body = ApiClientList)))]
#[get("/api-clients")]
pub async fn list_api_clients(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsRead>,
) -> ApiResult<web::Json<ApiClientList>> {
    let items = state.app.list_api_clients(&who.0).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(ApiClientList { items }))
}

/// One client.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:read"])), params(IdPath),
    responses((status = 200, description = "The client", body = ApiClientResponse)))]
#[get("/api-clients/{id}")]
pub async fn get_api_client(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ApiClientResponse>> {
    Ok(web::Json(state.app.get_api_client(&who.0, path.0.id).await?.into()))
}

/// Issues a new secret; the old one and the access tokens issued with it stop working at once.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:write"])), params(IdPath),
    responses(
        (status = 200, description = "The new secret", body = ApiClientWithSecret),
        (status = 409, description = "Revoked (`api_client.revoked`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/api-clients/{id}/rotate-secret")]
pub async fn rotate_api_client_secret(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsWrite>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ApiClientWithSecret>> {
    Ok(web::Json(state.app.rotate_api_client_secret(&who.0, path.0.id).await?.into()))
}

/// Revokes a client: its secret and its tokens stop working at once.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:write"])), params(IdPath),
    responses((status = 200, description = "Revoked", body = ApiClientResponse)))]
#[post("/api-clients/{id}/revoke")]
pub async fn revoke_api_client(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsWrite>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ApiClientResponse>> {
    Ok(web::Json(state.app.revoke_api_client(&who.0, path.0.id).await?.into()))
}
