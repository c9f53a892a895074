//! 公海, the public pool: list it, claim a customer from it, release a customer into it.

use super::ApiResult;
use super::common::IdPath;
use super::customers::{CustomerListParams, CustomerPage, CustomerResponse, list_filters};
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersPool, CustomersWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use crm_app::paging::PageRequest;
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
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:pool"])), params(CustomerListParams),
    responses((status = 200, description = "A page of unowned customers", body = CustomerPage)))]
#[get("/customers/pool")]
pub async fn list_pool(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<CustomersPool>,
    q: Query<CustomerListParams>,
) -> ApiResult<web::Json<CustomerPage>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = list_filters(q, req.query_string());
    Ok(web::Json(state.app.list_pool(&who.0, f, page).await.map_err(ApiError::in_query)?.into()))
}

/// Claims a customer from the pool: the caller (a user) becomes its owner. 409
/// `customer.already_owned` when someone was faster, `customer.claim_limit_reached` at the
/// tenant's limit.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:pool"])), params(IdPath),
    responses((status = 200, description = "Claimed", body = CustomerResponse)))]
#[post("/customers/{id}/claim")]
pub async fn claim_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersPool>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<CustomerResponse>> {
    Ok(web::Json(state.app.claim_customer(&who.0, path.0.id).await?.into()))
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
    state.app.release_customer(&who.0, path.0.id, b.reason.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
