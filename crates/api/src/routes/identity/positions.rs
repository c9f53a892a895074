//! Positions (roles) and the permission catalogue.

use crate::extract::{Allowed, Authenticated, IfMatch, Json, Path};
use crate::perm::{PositionsRead, PositionsWrite};
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, IfMatchHeader, with_etag};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_app::AppError;
use crm_app::identity::positions::{CreatePosition, PositionView, UpdatePosition};
use crm_app::paging::Page;
use crm_domain::FieldErrors;
use crm_domain::identity::DataScope;
use crm_domain::identity::org::parse_name;
use crm_domain::identity::permission::{self, PermissionInfo};
use crm_domain::ids::PositionId;
use serde::Deserialize;
use utoipa::ToSchema;
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
    #[schema(value_type = DataScope, example = "department")]
    pub data_scope: String,
}

/// A change to a position; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePositionRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Names from `GET /api/v1/permissions`.
    pub permissions: Option<Vec<String>>,
    #[schema(value_type = Option<DataScope>)]
    pub data_scope: Option<String>,
}

/// Checks each permission name (into `errs`) and keeps the list as asked.
fn permissions(field: &str, names: Vec<String>, errs: &mut FieldErrors) -> Vec<String> {
    if let Err(e) = permission::parse_set(field, &names) {
        errs.0.extend(e.0);
    }
    names
}

impl TryFrom<CreatePositionRequest> for CreatePosition {
    type Error = AppError;

    fn try_from(b: CreatePositionRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let name = errs.check(parse_name("/name", &b.name));
        let data_scope = errs.check(DataScope::parse("/data_scope", &b.data_scope));
        let permissions = permissions("/permissions", b.permissions, &mut errs);
        errs.into_result()?;
        let (Some(name), Some(data_scope)) = (name, data_scope) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        Ok(Self { name, data_scope, permissions })
    }
}

impl TryFrom<UpdatePositionRequest> for UpdatePosition {
    type Error = AppError;

    fn try_from(b: UpdatePositionRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let name = b.name.and_then(|n| errs.check(parse_name("/name", &n)));
        let data_scope = b.data_scope.and_then(|s| errs.check(DataScope::parse("/data_scope", &s)));
        let permissions = b.permissions.map(|p| permissions("/permissions", p, &mut errs));
        errs.into_result()?;
        Ok(Self { name, data_scope, permissions })
    }
}

fn respond(status: StatusCode, p: PositionView) -> HttpResponse {
    with_etag(status, &p, &p.etag)
}

/// Every permission (`resource:action`) that positions, per-user grants and API-client scopes can name.
#[utoipa::path(tag = "positions", security(("bearer" = [])), responses((status = 200, description = "The catalogue", body = Page<PermissionInfo>)))]
#[get("/permissions")]
pub async fn list_permissions(state: web::Data<ApiState>, _who: Authenticated) -> web::Json<Page<PermissionInfo>> {
    web::Json(Page { items: state.app.permissions().to_vec(), next_cursor: None })
}

/// Creates a position.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:write"])), request_body = CreatePositionRequest,
    responses(
        (status = 201, description = "Created", body = PositionView),
        (status = 409, description = "Name taken (`position.name_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks the permission (`permission.denied`), or grants more than the caller holds (`permission.grant_exceeds_own`, naming the field)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/positions")]
pub async fn create_position(
    state: web::Data<ApiState>,
    who: Allowed<PositionsWrite>,
    body: Json<CreatePositionRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.try_into()?;
    Ok(respond(StatusCode::CREATED, state.app.create_position(&who.0, cmd).await?))
}

/// The tenant's positions.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:read"])), responses((status = 200, description = "Positions, by name", body = Page<PositionView>)))]
#[get("/positions")]
pub async fn list_positions(
    state: web::Data<ApiState>,
    who: Allowed<PositionsRead>,
) -> ApiResult<web::Json<Page<PositionView>>> {
    Ok(web::Json(Page { items: state.app.list_positions(&who.0).await?, next_cursor: None }))
}

/// One position.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:read"])), params(IdPath),
    responses((status = 200, description = "The position", body = PositionView)))]
#[get("/positions/{id}")]
pub async fn get_position(
    state: web::Data<ApiState>,
    who: Allowed<PositionsRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_position(&who.0, PositionId(path.0.id)).await?))
}

/// Changes a position; holders get the new rights on their next request. Honours `If-Match`.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:write"])), params(IdPath, IfMatchHeader), request_body = UpdatePositionRequest,
    responses(
        (status = 200, description = "Updated", body = PositionView),
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
    let cmd = body.into_inner()?.try_into()?;
    let p = state.app.update_position(&who.0, PositionId(path.0.id), cmd, if_match.as_deref()).await?;
    Ok(respond(StatusCode::OK, p))
}

/// Deletes a position nobody holds (409 `position.in_use` otherwise). Honours `If-Match`.
#[utoipa::path(tag = "positions", security(("bearer" = ["positions:write"])), params(IdPath, IfMatchHeader),
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
    state.app.delete_position(&who.0, PositionId(path.0.id), if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
