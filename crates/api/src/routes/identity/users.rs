//! Staff users: the caller's own account and the tenant's users within the data scope.

use crate::extract::{Allowed, Authenticated, IfMatch, Json, Path, Query};
use crate::perm::{UsersRead, UsersWrite};
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, IfMatchHeader, nullable, with_etag};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use crm_app::identity::users::{CreateUser, UpdateUser, UserFilter, UserView};
use crm_app::paging::{Page, PageRequest};
use crm_domain::identity::UserStatus;
use crm_domain::ids::{OrgUnitId, PositionId, UserId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub status: Option<UserStatus>,
    /// Only users of this org unit.
    #[param(value_type = Option<uuid::Uuid>)]
    pub org_unit_id: Option<OrgUnitId>,
}

/// A new staff user.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "zhang.wei", "password": "a long passphrase", "display_name": "张伟", "org_unit_id": null, "position_ids": []}))]
pub struct CreateUserRequest {
    #[schema(min_length = 3, max_length = 64)]
    pub username: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    pub org_unit_id: Option<OrgUnitId>,
    #[serde(default)]
    pub position_ids: Vec<PositionId>,
    /// Per-user permissions on top of the positions.
    #[serde(default)]
    pub grants: Vec<String>,
}

impl From<CreateUserRequest> for CreateUser {
    fn from(b: CreateUserRequest) -> Self {
        Self {
            username: b.username,
            password: b.password,
            display_name: b.display_name,
            org_unit_id: b.org_unit_id,
            position_ids: b.position_ids,
            grants: b.grants,
        }
    }
}

/// A change to a user; absent fields stay, `org_unit_id: null` takes the user out of the tree.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<uuid::Uuid>, nullable)]
    pub org_unit_id: Option<Option<OrgUnitId>>,
    pub position_ids: Option<Vec<PositionId>>,
    /// Per-user permissions on top of the positions.
    pub grants: Option<Vec<String>>,
}

impl From<UpdateUserRequest> for UpdateUser {
    fn from(b: UpdateUserRequest) -> Self {
        Self {
            display_name: b.display_name,
            org_unit_id: b.org_unit_id,
            position_ids: b.position_ids,
            grants: b.grants,
        }
    }
}

/// A new password.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

fn respond(status: StatusCode, u: UserView) -> HttpResponse {
    with_etag(status, &u, &u.etag)
}

/// The signed-in user (a staff token; any user may read their own account).
#[utoipa::path(tag = "users", security(("bearer" = [])), responses((status = 200, description = "The caller", body = UserView)))]
#[get("/me")]
pub async fn me(state: web::Data<ApiState>, who: Authenticated) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.me(&who.0).await?))
}

/// The users the caller's data scope shows, oldest first.
#[utoipa::path(tag = "users", security(("bearer" = ["users:read"])), params(UserListParams), responses((status = 200, description = "A page of users", body = Page<UserView>)))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<ApiState>,
    who: Allowed<UsersRead>,
    q: Query<UserListParams>,
) -> ApiResult<web::Json<Page<UserView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = UserFilter { status: q.status, org_unit_id: q.org_unit_id };
    Ok(web::Json(state.app.list_users(&who.0, f, page).await?))
}

/// One user within the caller's data scope (others, and other tenants' users, are 404).
#[utoipa::path(tag = "users", security(("bearer" = ["users:read"])), params(IdPath),
    responses((status = 200, description = "The user", body = UserView)))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<ApiState>,
    who: Allowed<UsersRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_user(&who.0, UserId(path.0.id)).await?))
}

/// Creates a staff user.
#[utoipa::path(tag = "users", security(("bearer" = ["users:write"])), request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "Username taken (`user.username_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Lacks the permission (`permission.denied`), or grants more than the caller holds (`permission.grant_exceeds_own`, naming the field)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/users")]
pub async fn create_user(
    state: web::Data<ApiState>,
    who: Allowed<UsersWrite>,
    body: Json<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.into();
    Ok(respond(StatusCode::CREATED, state.app.create_user(&who.0, cmd).await?))
}

/// Changes a user's name, org unit, positions or grants; takes effect on their next request. Honours `If-Match`.
#[utoipa::path(tag = "users", security(("bearer" = ["users:write"])), params(IdPath, IfMatchHeader), request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "Updated", body = UserView),
        (status = 403, description = "Lacks the permission (`permission.denied`), grants more than the caller holds (`permission.grant_exceeds_own`), or changes a platform administrator (`user.platform_admin_protected`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Would leave the tenant without an active administrator (`user.last_administrator`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<ApiState>,
    who: Allowed<UsersWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.into();
    let u = state.app.update_user(&who.0, UserId(path.0.id), cmd, if_match.as_deref()).await?;
    Ok(respond(StatusCode::OK, u))
}

/// Disables a user: their sessions end and their tokens stop working at once.
#[utoipa::path(tag = "users", security(("bearer" = ["users:write"])), params(IdPath),
    responses(
        (status = 200, description = "Disabled", body = UserView),
        (status = 403, description = "Lacks the permission (`permission.denied`), or the target is a platform administrator and the caller is not (`user.platform_admin_protected`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Disabling oneself (`user.cannot_disable_self`) or the last active administrator (`user.last_administrator`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/users/{id}/disable")]
pub async fn disable_user(
    state: web::Data<ApiState>,
    who: Allowed<UsersWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.set_user_status(&who.0, UserId(path.0.id), UserStatus::Disabled).await?))
}

/// Re-enables a disabled user.
#[utoipa::path(tag = "users", security(("bearer" = ["users:write"])), params(IdPath),
    responses(
        (status = 200, description = "Enabled", body = UserView),
        (status = 403, description = "Lacks the permission (`permission.denied`), or the target is a platform administrator and the caller is not (`user.platform_admin_protected`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/users/{id}/enable")]
pub async fn enable_user(
    state: web::Data<ApiState>,
    who: Allowed<UsersWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.set_user_status(&who.0, UserId(path.0.id), UserStatus::Active).await?))
}

/// Sets a new password (the policy applies) and ends the user's sessions and access tokens at once.
#[utoipa::path(tag = "users", security(("bearer" = ["users:write"])), params(IdPath), request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 403, description = "Lacks the permission (`permission.denied`), the target is a platform administrator and the caller is not (`user.platform_admin_protected`), or the target holds rights the caller does not (`user.rights_exceed_own`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
#[post("/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<ApiState>,
    who: Allowed<UsersWrite>,
    path: Path<IdPath>,
    body: Json<ResetPasswordRequest>,
) -> ApiResult<HttpResponse> {
    state.app.reset_password(&who.0, UserId(path.0.id), &body.into_inner()?.password).await?;
    Ok(HttpResponse::NoContent().finish())
}
