//! The customer record: create, read, change, soft delete and restore, grade history, and the
//! change feed.

use super::fields::{CustomerPatch, NewCustomer};
use crate::extract::{Allowed, IfMatch, Json, Path, Query};
use crate::perm::{CustomersRead, CustomersWrite};
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, IfMatchHeader, with_etag};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_app::customers::changes::ChangePage;
use crm_app::customers::crud::GradeChangeView;
use crm_app::customers::records::{CustomerInput, CustomerView};
use crm_app::customers::view::CreatedCustomer;
use crm_app::paging::Items;
use crm_domain::ids::CustomerId;
use serde::Deserialize;
use utoipa::IntoParams;

/// Change-feed parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesParams {
    /// The `next_cursor` of the previous call; from the beginning when absent.
    pub since: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The customer named by the path.
pub(super) fn id(path: &IdPath) -> CustomerId {
    CustomerId(path.id)
}

fn respond(status: StatusCode, c: CustomerView) -> HttpResponse {
    with_etag(status, &c, &c.etag)
}

/// Creates a customer. Probable duplicates (same phone, email, id number, or similar name at the
/// same company) are returned in `warnings`, or refuse the creation with 409 `customer.duplicate`
/// when the tenant's `duplicate_policy` is `refuse`.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), request_body = NewCustomer,
    responses((status = 201, description = "Created", body = CreatedCustomer)))]
#[post("/customers")]
pub async fn create_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    body: Json<NewCustomer>,
) -> ApiResult<HttpResponse> {
    let c = state.app.create_customer(&who.0, CustomerInput::from(body.into_inner()?)).await?;
    Ok(with_etag(StatusCode::CREATED, &c, &c.customer.etag))
}

/// Customers changed since a cursor, in change order, deleted ones as tombstones: an
/// integrator's delta sync.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(ChangesParams),
    responses((status = 200, description = "Changes", body = ChangePage)))]
#[get("/customers/changes")]
pub async fn customer_changes(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<ChangesParams>,
) -> ApiResult<web::Json<ChangePage>> {
    let page = state.app.customer_changes(&who.0, q.0.since.as_deref(), q.0.limit).await.map_err(ApiError::in_query)?;
    Ok(web::Json(page))
}

/// One customer within the caller's data scope.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath),
    responses((status = 200, description = "The customer", body = CustomerView)))]
#[get("/customers/{id}")]
pub async fn get_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_customer(&who.0, id(&path.0)).await?))
}

/// Changes a customer; absent fields stay, `null` clears. Honours `If-Match` (checked under the
/// customer's lock: of concurrent changes carrying the same version, one wins and the others get
/// 412). With the tenant's `duplicate_policy: refuse`, a change that gives the customer another
/// live customer's phone, email, id number or name at the company is refused with 409 `customer.duplicate`.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath, IfMatchHeader),
    request_body = CustomerPatch,
    responses((status = 200, description = "Updated", body = CustomerView),
        (status = 409, description = "Probable duplicate under the refuse policy (`customer.duplicate`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[patch("/customers/{id}")]
pub async fn update_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<CustomerPatch>,
) -> ApiResult<HttpResponse> {
    let input = CustomerInput::from(body.into_inner()?);
    let c = state.app.update_customer(&who.0, id(&path.0), input, if_match.as_deref()).await?;
    Ok(respond(StatusCode::OK, c))
}

/// Moves a customer to the trash (soft delete; its history stays). Honours `If-Match`.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath, IfMatchHeader),
    responses((status = 204, description = "Deleted")))]
#[delete("/customers/{id}")]
pub async fn delete_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    state.app.delete_customer(&who.0, id(&path.0), if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Brings a deleted customer back.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:write"])), params(IdPath),
    responses((status = 200, description = "Restored", body = CustomerView)))]
#[post("/customers/{id}/restore")]
pub async fn restore_customer(
    state: web::Data<ApiState>,
    who: Allowed<CustomersWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.restore_customer(&who.0, id(&path.0)).await?))
}

/// Every lifecycle grade the customer has had, oldest first.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(IdPath),
    responses((status = 200, description = "The history, oldest first", body = Items<GradeChangeView>)))]
#[get("/customers/{id}/grade-history")]
pub async fn grade_history(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<Items<GradeChangeView>>> {
    Ok(web::Json(state.app.customer_grade_history(&who.0, id(&path.0)).await?))
}
