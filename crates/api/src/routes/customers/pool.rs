//! 公海, the public pool: list it, claim a customer from it, release a customer into it.

use super::list::{CustomerListParams, CustomerQuery};
use super::records::id;
use crate::extract::{Allowed, Json, Path};
use crate::perm::{CustomersPool, CustomersWrite};
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::routes::common::IdPath;
use crate::state::ApiState;
use actix_web::{HttpResponse, get, post, web};
use crm_app::customers::records::CustomerView;
use crm_app::paging::Page;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

/// Why a customer goes back to the pool.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// Recorded in the audit log.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// The public pool: customers without an owner, whatever the caller's data scope, filtered like
/// the customer list (`in_pool`, `owner_id` and `deleted` do not apply).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:pool"])),
    params(CustomerListParams, ("custom" = Option<std::collections::HashMap<String, String>>, Query, style = DeepObject, explode,
        description = "Custom fields by key, as in `GET /customers`.")),
    responses((status = 200, description = "A page of unowned customers", body = Page<CustomerView>)))]
#[get("/customers/pool")]
pub async fn list_pool(
    state: web::Data<ApiState>,
    who: Allowed<CustomersPool>,
    q: CustomerQuery,
) -> ApiResult<web::Json<Page<CustomerView>>> {
    let (page, f) = q.into_filters()?;
    Ok(web::Json(state.app.list_pool(&who.0, f, page).await.map_err(ApiError::in_query)?))
}

/// Claims a customer from the pool: the caller (a user) becomes its owner. 409
/// `customer.already_owned` when someone was faster, `customer.claim_limit_reached` at the
/// tenant's limit.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:pool"])), params(IdPath),
    responses((status = 200, description = "Claimed", body = CustomerView)))]
#[post("/customers/{id}/claim")]
pub async fn claim_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersPool>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<CustomerView>> {
    Ok(web::Json(state.app.claim_customer(&who.0, id(&path.0)).await?))
}

/// Releases an owned customer (within the caller's data scope) into the pool.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath),
    request_body = ReleaseRequest, responses((status = 204, description = "Released")))]
#[post("/customers/{id}/release")]
pub async fn release_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    body: Json<ReleaseRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    state.app.release_customer(&who.0, id(&path.0), b.reason.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
