//! Duplicate candidates and merging customers.

use super::ApiResult;
use super::common::IdPath;
use super::customers::CustomerResponse;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CustomersMerge, CustomersRead};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{get, post, web};
use crm_app::customers::duplicates::DuplicateGroup;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// Duplicate list parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuplicatesParams {
    /// Only groups of this reason: `phone`, `email`, `id_number` or `name_and_company`.
    pub reason: Option<String>,
    /// Groups per page.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Customers that share a key.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateGroupResponse {
    /// `phone`, `email`, `id_number` or `name_and_company` (same name pinyin at the same company).
    pub reason: String,
    /// The shared value; phone and id number masked unless the caller holds `customers:read_pii`.
    pub key: String,
    /// The customers of the group within the caller's data scope (at most 50).
    pub customers: Vec<CustomerResponse>,
}

impl From<DuplicateGroup> for DuplicateGroupResponse {
    fn from(g: DuplicateGroup) -> Self {
        Self {
            reason: g.reason.as_str().to_owned(),
            key: g.key,
            customers: g.customers.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of groups, by reason and key.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateGroupPage {
    pub items: Vec<DuplicateGroupResponse>,
    pub next_cursor: Option<String>,
}

/// What to merge into the customer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// 1 to 20 customers to merge into this one (each is deleted afterwards, marked `merged_into`).
    #[schema(min_items = 1, max_items = 20)]
    pub duplicate_ids: Vec<Uuid>,
}

/// Candidate duplicate groups among the customers within the caller's data scope.
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:read"])), params(DuplicatesParams),
    responses((status = 200, description = "Groups", body = DuplicateGroupPage)))]
#[get("/customers/duplicates")]
pub async fn list_duplicates(
    state: web::Data<ApiState>,
    who: Allowed<CustomersRead>,
    q: Query<DuplicatesParams>,
) -> ApiResult<web::Json<DuplicateGroupPage>> {
    let q = q.0;
    let page = state
        .app
        .list_duplicates(&who.0, q.reason.as_deref(), q.cursor.as_deref(), q.limit)
        .await
        .map_err(ApiError::in_query)?;
    Ok(web::Json(DuplicateGroupPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Merges duplicates into this customer in one transaction: their contacts, interactions, grade
/// history, tags, static segment memberships and custom values move here; empty fields here are
/// filled from them; each merge is audited with the ids of what moved. A duplicate's external id
/// keeps resolving to this customer in batch upserts. Every customer named is locked first, so
/// of two crossed merges (X into Y, Y into X) one succeeds and the other answers 409
/// `customer.merge_conflict`: a customer named was merged already (the error's field names the
/// duplicate; none means this customer).
#[utoipa::path(tag = "customers", security(("bearer" = ["customers:merge"])), params(IdPath),
    request_body = MergeRequest, responses((status = 200, description = "The merged customer", body = CustomerResponse),
        (status = 409, description = "A customer named is merged already (`customer.merge_conflict`), or both are members (`customer.merge_both_members`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/customers/{id}/merge")]
pub async fn merge_customers(
    state: web::Data<ApiState>,
    who: Allowed<CustomersMerge>,
    path: Path<IdPath>,
    body: Json<MergeRequest>,
) -> ApiResult<web::Json<CustomerResponse>> {
    let b = body.into_inner()?;
    Ok(web::Json(state.app.merge_customers(&who.0, path.0.id, &b.duplicate_ids).await?.into()))
}
