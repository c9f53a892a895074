//! The org tree (group / region / company / department / team).

use super::ApiResult;
use super::common::{IdPath, nullable, with_etag};
use crate::extract::{Allowed, IfMatch, Json, Path};
use crate::perm::{OrgUnitsRead, OrgUnitsWrite};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use crm_app::identity::org_units::{NewOrgUnit, OrgUnitChange, OrgUnitView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A new unit; without `parent_id` it is a root.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "华东区", "kind": "region", "parent_id": null}))]
pub struct CreateOrgUnitRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `group`, `region`, `company`, `department` or `team`.
    #[schema(example = "department")]
    pub kind: String,
    pub parent_id: Option<Uuid>,
}

/// Rename and/or move; `parent_id: null` moves the unit to the root.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgUnitRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(nullable)]
    pub parent_id: Option<Option<Uuid>>,
}

/// An org unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUnitResponse {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    /// Ids from the root down to this unit.
    pub path: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgUnitView> for OrgUnitResponse {
    fn from(u: OrgUnitView) -> Self {
        Self {
            id: u.id,
            parent_id: u.parent_id,
            name: u.name,
            kind: u.kind,
            path: u.path,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// The whole tree, parents before children.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgUnitList {
    pub items: Vec<OrgUnitResponse>,
}

fn respond(status: StatusCode, u: OrgUnitView) -> HttpResponse {
    let etag = u.etag.clone();
    with_etag(status, &OrgUnitResponse::from(u), &etag)
}

/// Creates a unit.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:write"])), request_body = CreateOrgUnitRequest,
    responses((status = 201, description = "Created", body = OrgUnitResponse)))]
#[post("/org-units")]
pub async fn create_org_unit(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsWrite>,
    body: Json<CreateOrgUnitRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let u =
        state.app.create_org_unit(&who.0, NewOrgUnit { name: b.name, kind: b.kind, parent_id: b.parent_id }).await?;
    Ok(respond(StatusCode::CREATED, u))
}

/// The tenant's org tree.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:read"])), responses((status = 200, description = "The tree", body = OrgUnitList)))]
#[get("/org-units")]
pub async fn list_org_units(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsRead>,
) -> ApiResult<web::Json<OrgUnitList>> {
    let items = state.app.list_org_units(&who.0).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(OrgUnitList { items }))
}

/// One unit.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:read"])), params(IdPath),
    responses((status = 200, description = "The unit", body = OrgUnitResponse)))]
#[get("/org-units/{id}")]
pub async fn get_org_unit(
    state: web::Data<ApiState>,
    who: Allowed<OrgUnitsRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_org_unit(&who.0, path.0.id).await?))
}

/// Renames and/or moves a unit (its whole subtree moves with it). Honours `If-Match`.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:write"])), params(IdPath), request_body = UpdateOrgUnitRequest,
    responses(
        (status = 200, description = "Updated", body = OrgUnitResponse),
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
    let b = body.into_inner()?;
    let change = OrgUnitChange { name: b.name, parent_id: b.parent_id };
    let u = state.app.update_org_unit(&who.0, path.0.id, change, if_match.as_deref()).await?;
    Ok(respond(StatusCode::OK, u))
}

/// Deletes a leaf unit without users; otherwise 409 `org_unit.has_children` or `org_unit.has_users`.
#[utoipa::path(tag = "org-units", security(("bearer" = ["org_units:write"])), params(IdPath),
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
    state.app.delete_org_unit(&who.0, path.0.id, if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
