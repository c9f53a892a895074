//! Tenants: platform administrators create isolated companies or stores.

use crate::extract::{Allowed, Json};
use crate::perm::{TenantsRead, TenantsWrite};
use crate::routes::ApiResult;
use crate::state::ApiState;
use actix_web::{HttpResponse, get, post, web};
use crm_app::AppError;
use crm_app::paging::Page;
use crm_app::platform::tenants::{CreateTenant, TenantView};
use crm_domain::FieldErrors;
use crm_domain::identity::org::parse_name;
use crm_domain::identity::{PasswordPolicy, Username};
use crm_domain::platform::TenantCode;
use serde::Deserialize;
use utoipa::ToSchema;
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

impl TryFrom<CreateTenantRequest> for CreateTenant {
    type Error = AppError;

    fn try_from(b: CreateTenantRequest) -> Result<Self, AppError> {
        let mut errs = FieldErrors::default();
        let code = errs.check(TenantCode::parse("/code", &b.code));
        let name = errs.check(parse_name("/name", &b.name));
        let admin = errs.check(Username::parse("/admin_username", &b.admin_username));
        let pw = errs.check(PasswordPolicy::default().check("/admin_password", &b.admin_password, &b.admin_username));
        errs.into_result()?;
        let (Some(code), Some(name), Some(admin_username), Some(admin_password)) = (code, name, admin, pw) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        Ok(Self { code, name, admin_username, admin_password })
    }
}

/// Creates a tenant, its Administrator position and its first administrator. Platform administrators only.
#[utoipa::path(
    tag = "tenants",
    security(("bearer" = ["tenants:write"])),
    request_body = CreateTenantRequest,
    responses(
        (status = 201, description = "Created", body = TenantView),
        (status = 409, description = "Code taken (`tenant.code_taken`)", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<ApiState>,
    who: Allowed<TenantsWrite>,
    body: Json<CreateTenantRequest>,
) -> ApiResult<HttpResponse> {
    let cmd = body.into_inner()?.try_into()?;
    Ok(HttpResponse::Created().json(state.app.create_tenant(&who.0, cmd).await?))
}

/// Every tenant of the deployment. Platform administrators only.
#[utoipa::path(tag = "tenants", security(("bearer" = ["tenants:read"])), responses((status = 200, description = "Tenants, by code", body = Page<TenantView>)))]
#[get("/tenants")]
pub async fn list_tenants(
    state: web::Data<ApiState>,
    who: Allowed<TenantsRead>,
) -> ApiResult<web::Json<Page<TenantView>>> {
    Ok(web::Json(Page { items: state.app.list_tenants(&who.0).await?, next_cursor: None }))
}
