//! API clients for integrations (client credentials with scopes).

use crate::extract::{Allowed, Json, Path};
use crate::perm::{ApiClientsRead, ApiClientsWrite};
use crate::routes::ApiResult;
use crate::routes::common::IdPath;
use crate::state::ApiState;
use actix_web::{HttpResponse, get, post, web};
use crm_app::AppError;
use crm_app::identity::api_clients::{ApiClientSecret, ApiClientView, CreateApiClient};
use crm_app::paging::Page;
use crm_domain::identity::org::parse_name;
use crm_domain::identity::permission;
use crm_domain::ids::ApiClientId;
use crm_domain::{FieldError, FieldErrors};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// A new integration client.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sales office", "scopes": ["users:read"]}))]
pub struct CreateApiClientRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Permission names from `GET /api/v1/permissions`; at least one.
    #[schema(min_items = 1)]
    pub scopes: Vec<String>,
}

impl TryFrom<CreateApiClientRequest> for CreateApiClient {
    type Error = AppError;

    fn try_from(b: CreateApiClientRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let name = errs.check(parse_name("/name", &b.name));
        match permission::parse_set("/scopes", &b.scopes) {
            Ok(s) if s.is_empty() => errs.push(FieldError::new("/scopes", "required")),
            Ok(_) => {}
            Err(e) => errs.0.extend(e.0),
        }
        errs.into_result()?;
        let Some(name) = name else { return Err(AppError::Internal("unreachable".into())) };
        Ok(Self { name, scopes: b.scopes })
    }
}

/// Creates a client; the secret is in this response only.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:write"])), request_body = CreateApiClientRequest,
    responses(
        (status = 201, description = "Created; keep the secret now", body = ApiClientSecret),
        (status = 403, description = "Lacks the permission (`permission.denied`), or asks for a scope the caller does not hold (`permission.grant_exceeds_own`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/api-clients")]
pub async fn create_api_client(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsWrite>,
    body: Json<CreateApiClientRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.try_into()?;
    Ok(HttpResponse::Created().json(state.app.create_api_client(&who.0, cmd).await?))
}

/// The tenant's clients.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:read"])), responses((status = 200, description = "Clients", body = Page<ApiClientView>)))]
#[get("/api-clients")]
pub async fn list_api_clients(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsRead>,
) -> ApiResult<web::Json<Page<ApiClientView>>> {
    Ok(web::Json(Page { items: state.app.list_api_clients(&who.0).await?, next_cursor: None }))
}

/// One client.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:read"])), params(IdPath),
    responses((status = 200, description = "The client", body = ApiClientView)))]
#[get("/api-clients/{id}")]
pub async fn get_api_client(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ApiClientView>> {
    Ok(web::Json(state.app.get_api_client(&who.0, ApiClientId(path.0.id)).await?))
}

/// Issues a new secret; the old one and the access tokens issued with it stop working at once.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:write"])), params(IdPath),
    responses(
        (status = 200, description = "The new secret", body = ApiClientSecret),
        (status = 409, description = "Revoked (`api_client.revoked`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/api-clients/{id}/rotate-secret")]
pub async fn rotate_api_client_secret(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsWrite>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ApiClientSecret>> {
    Ok(web::Json(state.app.rotate_api_client_secret(&who.0, ApiClientId(path.0.id)).await?))
}

/// Revokes a client: its secret and its tokens stop working at once.
#[utoipa::path(tag = "api-clients", security(("bearer" = ["api_clients:write"])), params(IdPath),
    responses((status = 200, description = "Revoked", body = ApiClientView)))]
#[post("/api-clients/{id}/revoke")]
pub async fn revoke_api_client(
    state: web::Data<ApiState>,
    who: Allowed<ApiClientsWrite>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<ApiClientView>> {
    Ok(web::Json(state.app.revoke_api_client(&who.0, ApiClientId(path.0.id)).await?))
}
