//! The org tree (group / region / company / department / team).

use crate::extract::{Allowed, IfMatch, Json, Path};
use crate::perm::{OrgUnitsRead, OrgUnitsWrite};
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, IfMatchHeader, nullable, with_etag};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_app::AppError;
use crm_app::identity::org_units::{CreateOrgUnit, OrgUnitView, UpdateOrgUnit};
use crm_app::paging::Page;
use crm_domain::FieldErrors;
use crm_domain::identity::OrgUnitKind;
use crm_domain::identity::org::parse_name;
use crm_domain::ids::OrgUnitId;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// A new unit; without `parent_id` it is a root.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "华东区", "kind": "region", "parent_id": null}))]
pub struct CreateOrgUnitRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(value_type = OrgUnitKind, example = "department")]
    pub kind: String,
    pub parent_id: Option<OrgUnitId>,
}

/// Rename and/or move; `parent_id: null` moves the unit to the root.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgUnitRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<uuid::Uuid>, nullable)]
    pub parent_id: Option<Option<OrgUnitId>>,
}

impl TryFrom<CreateOrgUnitRequest> for CreateOrgUnit {
    type Error = AppError;

    fn try_from(b: CreateOrgUnitRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let name = errs.check(parse_name("/name", &b.name));
        let kind = errs.check(OrgUnitKind::parse("/kind", &b.kind));
        errs.into_result()?;
        let (Some(name), Some(kind)) = (name, kind) else { return Err(AppError::Internal("unreachable".into())) };
        Ok(Self { name, kind, parent_id: b.parent_id })
    }
}

impl TryFrom<UpdateOrgUnitRequest> for UpdateOrgUnit {
    type Error = AppError;

    fn try_from(b: UpdateOrgUnitRequest) -> Result<Self, AppError> {
        let name = b.name.map(|n| parse_name("/name", &n)).transpose()?;
        Ok(Self { name, parent_id: b.parent_id })
    }
}

fn respond(status: StatusCode, u: OrgUnitView) -> HttpResponse {
    with_etag(status, &u, &u.etag)
}

/// Creates a unit.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:write"])), request_body = CreateOrgUnitRequest,
    responses((status = 201, description = "Created", body = OrgUnitView)))]
#[post("/org-units")]
pub async fn create_org_unit(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsWrite>,
    body: Json<CreateOrgUnitRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.try_into()?;
    Ok(respond(StatusCode::CREATED, state.app.create_org_unit(&who.0, cmd).await?))
}

/// The tenant's org tree.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:read"])), responses((status = 200, description = "The whole tree, parents before children", body = Page<OrgUnitView>)))]
#[get("/org-units")]
pub async fn list_org_units(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsRead>,
) -> ApiResult<web::Json<Page<OrgUnitView>>> {
    Ok(web::Json(Page { items: state.app.list_org_units(&who.0).await?, next_cursor: None }))
}

/// One unit.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:read"])), params(IdPath),
    responses((status = 200, description = "The unit", body = OrgUnitView)))]
#[get("/org-units/{id}")]
pub async fn get_org_unit(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_org_unit(&who.0, OrgUnitId(path.0.id)).await?))
}

/// Renames and/or moves a unit (its whole subtree moves with it). Honours `If-Match`.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:write"])), params(IdPath, IfMatchHeader), request_body = UpdateOrgUnitRequest,
    responses(
        (status = 200, description = "Updated", body = OrgUnitView),
        (status = 409, description = "Moving under itself (`org_unit.cycle`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/org-units/{id}")]
pub async fn update_org_unit(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<UpdateOrgUnitRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.try_into()?;
    let u = state.app.update_org_unit(&who.0, OrgUnitId(path.0.id), cmd, if_match.as_deref()).await?;
    Ok(respond(StatusCode::OK, u))
}

/// Deletes a leaf unit without users; otherwise 409 `org_unit.has_children` or `org_unit.has_users`. Honours `If-Match`.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:write"])), params(IdPath, IfMatchHeader),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Has children or users", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/org-units/{id}")]
pub async fn delete_org_unit(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    state.app.delete_org_unit(&who.0, OrgUnitId(path.0.id), if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
