//! Positions (roles) and the permission catalogue.

use super::ApiResult;
use super::common::{IdPath, with_etag};
use crate::extract::{Allowed, Authenticated, IfMatch, Json, Path};
use crate::perm::{PositionsRead, PositionsWrite};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use crm_app::identity::positions::{PositionInput, PositionView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A new position.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sales", "permissions": ["users:read"], "data_scope": "self"}))]
pub struct CreatePositionRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Names from `GET /api/v1/permissions`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// `self`, `team`, `department` (the unit and below), `company` or `all`.
    #[schema(example = "department")]
    pub data_scope: String,
}

/// A change to a position; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePositionRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub data_scope: Option<String>,
}

/// A position.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionResponse {
    pub id: Uuid,
    pub name: String,
    pub data_scope: String,
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PositionView> for PositionResponse {
    fn from(p: PositionView) -> Self {
        Self {
            id: p.id,
            name: p.name,
            data_scope: p.data_scope,
            permissions: p.permissions,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// The tenant's positions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionList {
    pub items: Vec<PositionResponse>,
}

/// One permission.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionResponse {
    #[schema(example = "users:read")]
    pub name: &'static str,
    pub description: &'static str,
    /// Only platform administrators hold it; positions cannot grant it.
    pub platform_only: bool,
}

/// Every permission that exists.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionList {
    pub items: Vec<PermissionResponse>,
}

fn respond(status: StatusCode, p: PositionView) -> HttpResponse {
    let etag = p.etag.clone();
    with_etag(status, &PositionResponse::from(p), &etag)
}

/// Every permission (`resource:action`) that positions, per-user grants and API-client scopes can name.
#[utoipa::path(tag = "positions", security(("bearer" = [])), responses((status = 200, description = "The catalogue", body = PermissionList)))]
#[get("/permissions")]
pub async fn list_permissions(state: web::Data<ApiState>, _who: Authenticated) -> web::Json<PermissionList> {
    let items = state
        .app
        .permissions()
        .iter()
        .map(|p| PermissionResponse { name: p.name, description: p.description, platform_only: p.platform_only })
        .collect();
    web::Json(PermissionList { items })
}

/// Creates a position.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:write"])), request_body = CreatePositionRequest,
    responses(
        (status = 201, description = "Created", body = PositionResponse),
        (status = 409, description = "Name taken (`position.name_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks the permission (`permission.denied`), or grants more than the caller holds (`permission.grant_exceeds_own`, naming the field)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/positions")]
pub async fn create_position(
    state: web::Data<ApiState>,
    who: Allowed<PositionsWrite>,
    body: Json<CreatePositionRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let input = PositionInput { name: Some(b.name), permissions: Some(b.permissions), data_scope: Some(b.data_scope) };
    Ok(respond(StatusCode::CREATED, state.app.create_position(&who.0, input).await?))
}

/// The tenant's positions.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:read"])), responses((status = 200, description = "Positions", body = PositionList)))]
#[get("/positions")]
pub async fn list_positions(
    state: web::Data<ApiState>,
    who: Allowed<PositionsRead>,
) -> ApiResult<web::Json<PositionList>> {
    let items = state.app.list_positions(&who.0).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(PositionList { items }))
}

/// One position.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:read"])), params(IdPath),
    responses((status = 200, description = "The position", body = PositionResponse)))]
#[get("/positions/{id}")]
pub async fn get_position(
    state: web::Data<ApiState>,
    who: Allowed<PositionsRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_position(&who.0, path.0.id).await?))
}

/// Changes a position; holders get the new rights on their next request. Honours `If-Match`.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:write"])), params(IdPath), request_body = UpdatePositionRequest,
    responses(
        (status = 200, description = "Updated", body = PositionResponse),
        (status = 403, description = "Lacks the permission (`permission.denied`), or grants more than the caller holds (`permission.grant_exceeds_own`, naming the field)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The built-in Administrator position (`position.built_in`), or the name is taken (`position.name_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/positions/{id}")]
pub async fn update_position(
    state: web::Data<ApiState>,
    who: Allowed<PositionsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<UpdatePositionRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let input = PositionInput { name: b.name, permissions: b.permissions, data_scope: b.data_scope };
    Ok(respond(StatusCode::OK, state.app.update_position(&who.0, path.0.id, input, if_match.as_deref()).await?))
}

/// Deletes a position nobody holds (409 `position.in_use` otherwise).
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:write"])), params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Still held (`position.in_use`), or the built-in Administrator position (`position.built_in`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/positions/{id}")]
pub async fn delete_position(
    state: web::Data<ApiState>,
    who: Allowed<PositionsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    state.app.delete_position(&who.0, path.0.id, if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
