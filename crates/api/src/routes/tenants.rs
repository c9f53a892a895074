//! Tenants: platform administrators create isolated companies or stores.

use super::ApiResult;
use crate::extract::{Allowed, Json};
use crate::perm::{TenantsRead, TenantsWrite};
use crate::state::ApiState;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use crm_app::platform::tenants::{NewTenant, TenantView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A new tenant with its first administrator.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "store-sh-01", "name": "上海一店", "admin_username": "boss", "admin_password": "a long passphrase"}))]
pub struct CreateTenantRequest {
    #[schema(min_length = 2, max_length = 63)]
    pub code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(min_length = 3, max_length = 64)]
    pub admin_username: String,
    #[schema(min_length = 8, max_length = 128)]
    pub admin_password: String,
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantResponse {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<TenantView> for TenantResponse {
    fn from(t: TenantView) -> Self {
        Self { id: t.id, code: t.code, name: t.name, created_at: t.created_at }
    }
}

/// The list of tenants.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub items: Vec<TenantResponse>,
}

/// Creates a tenant, its Administrator position and its first administrator. Platform administrators only.
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:write"])),
    request_body = CreateTenantRequest,
    responses(
        (status = 201, description = "Created", body = TenantResponse),
        (status = 409, description = "Code taken (`tenant.code_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<ApiState>,
    who: Allowed<TenantsWrite>,
    body: Json<CreateTenantRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let cmd =
        NewTenant { code: b.code, name: b.name, admin_username: b.admin_username, admin_password: b.admin_password };
    let t = state.app.create_tenant(&who.0, cmd).await?;
    Ok(HttpResponse::Created().json(TenantResponse::from(t)))
}

/// Every tenant of the deployment. Platform administrators only.
#[utoipa::path(tag = "tenants", security(("bearer" = ["tenants:read"])), responses((status = 200, description = "Tenants", body = TenantList)))]
#[get("/tenants")]
pub async fn list_tenants(state: web::Data<ApiState>, who: Allowed<TenantsRead>) -> ApiResult<web::Json<TenantList>> {
    let items = state.app.list_tenants(&who.0).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(TenantList { items }))
}
