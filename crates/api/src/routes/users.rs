//! Staff users: the caller's own account and the tenant's users.

use super::ApiResult;
use crate::extract::{Authenticated, Path, Query};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use crm_app::identity::users::UserView;
use crm_app::paging::{Page, PageRequest};
use crm_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A staff user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub tenant_id: Uuid,
    #[schema(example = "admin")]
    pub username: String,
    pub display_name: String,
    #[schema(example = "active")]
    pub status: String,
    pub is_platform_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserView> for UserResponse {
    fn from(u: UserView) -> Self {
        Self {
            id: u.id.0,
            tenant_id: u.tenant_id.0,
            username: u.username,
            display_name: u.display_name,
            status: u.status,
            is_platform_admin: u.is_platform_admin,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserResponse>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<Page<UserView>> for UserPage {
    fn from(p: Page<UserView>) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

/// Paging parameters every list accepts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The `{id}` of a user.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// User id.
    pub id: Uuid,
}

/// The signed-in user.
#[utoipa::path(tag = "users", security(("bearer" = [])), responses((status = 200, description = "The caller", body = UserResponse)))]
#[get("/me")]
pub async fn me(
    state: web::Data<ApiState>,
    who: Authenticated,
) -> ApiResult<web::Json<UserResponse>> {
    Ok(web::Json(state.app.me(&who.0).await?.into()))
}

/// The tenant's users, oldest first.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(ListParams), responses((status = 200, description = "A page of users", body = UserPage)))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<ApiState>,
    who: Authenticated,
    q: Query<ListParams>,
) -> ApiResult<web::Json<UserPage>> {
    let page = PageRequest::parse(q.0.limit, q.0.cursor.as_deref()).map_err(ApiError::in_query)?;
    Ok(web::Json(state.app.list_users(&who.0, page).await?.into()))
}

/// One user of the caller's tenant.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserPath),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 404, description = "No such user in this tenant", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<ApiState>,
    who: Authenticated,
    path: Path<UserPath>,
) -> ApiResult<web::Json<UserResponse>> {
    Ok(web::Json(
        state.app.get_user(&who.0, UserId(path.0.id)).await?.into(),
    ))
}
