//! Duplicate candidates and merging customers.

use super::records::id;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersMerge, CustomersRead};
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::routes::common::IdPath;
use crate::state::ApiState;
use actix_web::{get, post, web};
use crm_app::customers::duplicates::DuplicateGroup;
use crm_app::customers::records::CustomerView;
use crm_app::paging::Page;
use crm_domain::customers::duplicates::DuplicateReason;
use crm_domain::ids::CustomerId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// Duplicate list parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesParams {
    /// Only groups of this reason.
    pub reason: Option<DuplicateReason>,
    /// Groups per page.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// What to merge into the customer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// 1 to 20 customers to merge into this one (each is deleted afterwards, marked `merged_into`).
    #[schema(min_items = 1, max_items = 20)]
    pub duplicate_ids: Vec<Uuid>,
}

/// Candidate duplicate groups among the customers within the caller's data scope, by reason and key.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(DuplicatesParams),
    responses((status = 200, description = "A page of groups, by reason and key", body = Page<DuplicateGroup>)))]
#[get("/customers/duplicates")]
pub async fn list_duplicates(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<DuplicatesParams>,
) -> ApiResult<web::Json<Page<DuplicateGroup>>> {
    let q = q.0;
    let page =
        state.app.list_duplicates(&who.0, q.reason, q.cursor.as_deref(), q.limit).await.map_err(ApiError::in_query)?;
    Ok(web::Json(page))
}

/// Merges duplicates into this customer in one transaction: their contacts, interactions, grade
/// history, tags, static segment memberships and custom values move here; empty fields here are
/// filled from them; each merge is audited with the ids of what moved. A duplicate's external id
/// keeps resolving to this customer in batch upserts. Every customer named is locked first, so
/// of two crossed merges (X into Y, Y into X) one succeeds and the other answers 409
/// `customer.merge_conflict`: a customer named was merged already (the error's field names the
/// duplicate; none means this customer).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:merge"])), params(IdPath),
    request_body = MergeRequest, responses((status = 200, description = "The merged customer", body = CustomerView),
        (status = 409, description = "A customer named is merged already (`customer.merge_conflict`), or both are members (`customer.merge_both_members`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/customers/{id}/merge")]
pub async fn merge_customers(
    state: web::Data<ApiState>,
    who: Allowed<CustomersMerge>,
    path: Path<IdPath>,
    body: Json<MergeRequest>,
) -> ApiResult<web::Json<CustomerView>> {
    let b = body.into_inner()?;
    let duplicates: Vec<CustomerId> = b.duplicate_ids.into_iter().map(CustomerId).collect();
    Ok(web::Json(state.app.merge_customers(&who.0, id(&path.0), &duplicates).await?))
}
