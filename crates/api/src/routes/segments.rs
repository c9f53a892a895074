//! Customer segments: static lists and rule-based segments, their count, members and "why".

use super::ApiResult;
use super::common::{IdPath, nullable, with_etag};
use super::customers::CustomerPage;
use crate::extract::{Allowed, IfMatch, Json, Path, Query};
use crate::perm::{SegmentsRead, SegmentsWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use crm_app::customers::segments::{NewSegment, SegmentExplanation, SegmentPatch, SegmentView};
use crm_app::paging::PageRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// A new segment. `rules` is required for `kind: rule` and refused for `kind: static`.
///
/// Rules: `{"match": "all"|"any", "conditions": [{"field", "op", "value"}]}` (1 to 50 conditions).
/// Fields and operators: `kind`, `grade`, `level`, `source`, `industry`, `gender`, `province`, `city`,
/// `district`, `company`, `owner_id` (`eq`, `ne`, `in`, `not_in`, `is_set`, `is_not_set`; `owner_id
/// is_not_set` is the public pool); `tags` (`has_any`, `has_all`, `has_none`, value: tag ids);
/// `birthday`, `created_at` (`between` `[from, to]` inclusive, `after`, `before`; `YYYY-MM-DD`);
/// `last_interaction_days` (`gte` N: no interaction for at least N days, never contacted included;
/// `lte` N: an interaction within N days); `custom.<key>` by the field's type (text, select: `eq`,
/// `ne`, `in`, `not_in`; number, date: `eq`, `gte`, `lte`, `between`; multi_select: `has_any`,
/// `has_none`; bool: `eq`; every type: `is_set`, `is_not_set`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "沉睡的成交客户", "kind": "rule", "rules": {"match": "all", "conditions": [
    {"field": "grade", "op": "eq", "value": "deal"},
    {"field": "last_interaction_days", "op": "gte", "value": 90}]}}))]
pub struct CreateSegmentRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `static` or `rule`.
    pub kind: String,
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub rules: Option<Value>,
}

/// A change of a segment; absent fields stay. `rules` only for rule-based segments.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "沉睡客户（半年）"}))]
pub struct UpdateSegmentRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub rules: Option<Value>,
}

/// An unsaved rule set to count.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": {"match": "any", "conditions": [{"field": "owner_id", "op": "is_not_set"}]}}))]
pub struct PreviewRequest {
    #[schema(value_type = Object)]
    pub rules: Value,
}

/// Customers to add to or remove from a static segment (1 to 1000, each within your data scope).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_ids": ["0193a8a0-0000-7000-8000-000000000001"]}))]
pub struct MembersRequest {
    pub customer_ids: Vec<Uuid>,
}

/// A segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentResponse {
    pub id: Uuid,
    pub name: String,
    /// `static` or `rule`.
    pub kind: String,
    pub description: Option<String>,
    /// The normalized rules of a rule-based segment.
    #[schema(value_type = Option<Object>)]
    pub rules: Option<Value>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SegmentView> for SegmentResponse {
    fn from(s: SegmentView) -> Self {
        Self {
            id: s.id,
            name: s.name,
            kind: s.kind,
            description: s.description,
            rules: s.rules,
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// The tenant's segments by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentList {
    pub items: Vec<SegmentResponse>,
}

/// How many customers within your data scope match.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountResponse {
    pub count: u64,
}

/// How many customers a membership change added or removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersChangeResponse {
    pub changed: u64,
}

/// One condition's outcome for the customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConditionOutcomeResponse {
    /// Position in `rules.conditions`.
    pub index: usize,
    pub field: String,
    pub op: String,
    /// The condition's value as given (a string, number, array or `null`).
    pub value: Value,
    pub matched: bool,
    /// The customer's value the condition looked at (days since the last interaction for
    /// `last_interaction_days`, tag ids for `tags`, the values of a custom field); any JSON, `null`
    /// when the customer has none.
    pub actual: Value,
}

/// Why a customer is (or is not) in a segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplainResponse {
    pub segment_id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub member: bool,
    /// `all` or `any` (rule-based segments).
    #[serde(rename = "match")]
    pub match_mode: Option<String>,
    pub conditions: Vec<ConditionOutcomeResponse>,
}

impl From<SegmentExplanation> for ExplainResponse {
    fn from(x: SegmentExplanation) -> Self {
        Self {
            segment_id: x.segment_id,
            customer_id: x.customer_id,
            kind: x.kind,
            member: x.member,
            match_mode: x.match_mode,
            conditions: x
                .conditions
                .into_iter()
                .map(|c| ConditionOutcomeResponse {
                    index: c.index,
                    field: c.field,
                    op: c.op,
                    value: c.value,
                    matched: c.matched,
                    actual: c.actual,
                })
                .collect(),
        }
    }
}

/// Member paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A segment and a customer.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ExplainPath {
    /// Segment id.
    pub id: Uuid,
    /// Customer id.
    pub customer_id: Uuid,
}

fn respond(status: StatusCode, s: SegmentView) -> HttpResponse {
    let etag = s.etag.clone();
    with_etag(status, &SegmentResponse::from(s), &etag)
}

/// Creates a segment (names are unique in the tenant).
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), request_body = CreateSegmentRequest,
    responses((status = 201, description = "Created", body = SegmentResponse)))]
#[post("/segments")]
pub async fn create_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    body: Json<CreateSegmentRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let input = NewSegment { name: b.name, kind: b.kind, description: b.description, rules: b.rules };
    Ok(respond(StatusCode::CREATED, state.app.create_segment(&who.0, input).await?))
}

/// The tenant's segments.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])),
    responses((status = 200, description = "Segments", body = SegmentList)))]
#[get("/segments")]
pub async fn list_segments(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
) -> ApiResult<web::Json<SegmentList>> {
    let items = state.app.list_segments(&who.0).await?;
    Ok(web::Json(SegmentList { items: items.into_iter().map(Into::into).collect() }))
}

/// Counts the customers within your data scope that an unsaved rule set matches.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), request_body = PreviewRequest,
    responses((status = 200, description = "Count", body = CountResponse)))]
#[post("/segments/preview")]
pub async fn preview_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    body: Json<PreviewRequest>,
) -> ApiResult<web::Json<CountResponse>> {
    let b = body.into_inner()?;
    Ok(web::Json(CountResponse { count: state.app.preview_segment(&who.0, &b.rules).await? }))
}

/// One segment.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), params(IdPath),
    responses((status = 200, description = "The segment", body = SegmentResponse)))]
#[get("/segments/{id}")]
pub async fn get_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_segment(&who.0, path.0.id).await?))
}

/// Changes a segment's name, description or rules. Honours `If-Match`.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath),
    request_body = UpdateSegmentRequest, responses((status = 200, description = "Updated", body = SegmentResponse)))]
#[patch("/segments/{id}")]
pub async fn update_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<UpdateSegmentRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let patch = SegmentPatch { name: b.name, description: b.description, rules: b.rules };
    Ok(respond(StatusCode::OK, state.app.update_segment(&who.0, path.0.id, patch, if_match.as_deref()).await?))
}

/// Deletes a segment (a static one's member list goes with it). Honours `If-Match`.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath),
    responses((status = 204, description = "Deleted")))]
#[delete("/segments/{id}")]
pub async fn delete_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    state.app.delete_segment(&who.0, path.0.id, if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How many members within your data scope the segment has now.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), params(IdPath),
    responses((status = 200, description = "Count", body = CountResponse)))]
#[get("/segments/{id}/count")]
pub async fn count_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<CountResponse>> {
    Ok(web::Json(CountResponse { count: state.app.count_segment(&who.0, path.0.id).await? }))
}

/// The segment's members within your data scope, in id order.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), params(IdPath, MemberParams),
    responses((status = 200, description = "A page of customers", body = CustomerPage)))]
#[get("/segments/{id}/members")]
pub async fn segment_members(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<IdPath>,
    q: Query<MemberParams>,
) -> ApiResult<web::Json<CustomerPage>> {
    let page = PageRequest::parse(q.0.limit, q.0.cursor.as_deref()).map_err(ApiError::in_query)?;
    Ok(web::Json(state.app.segment_members(&who.0, path.0.id, page).await?.into()))
}

/// Adds customers to a static segment; ones already in it stay (409 `segment.not_static` for a rule-based one).
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath), request_body = MembersRequest,
    responses((status = 200, description = "Added", body = MembersChangeResponse)))]
#[post("/segments/{id}/members")]
pub async fn add_segment_members(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    body: Json<MembersRequest>,
) -> ApiResult<web::Json<MembersChangeResponse>> {
    let b = body.into_inner()?;
    let r = state.app.add_segment_members(&who.0, path.0.id, &b.customer_ids).await?;
    Ok(web::Json(MembersChangeResponse { changed: r.changed }))
}

/// Removes customers from a static segment; ones not in it are ignored.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath), request_body = MembersRequest,
    responses((status = 200, description = "Removed", body = MembersChangeResponse)))]
#[post("/segments/{id}/members/remove")]
pub async fn remove_segment_members(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    body: Json<MembersRequest>,
) -> ApiResult<web::Json<MembersChangeResponse>> {
    let b = body.into_inner()?;
    let r = state.app.remove_segment_members(&who.0, path.0.id, &b.customer_ids).await?;
    Ok(web::Json(MembersChangeResponse { changed: r.changed }))
}

/// Why a customer within your data scope is or is not in the segment: each condition, whether it
/// held, and the customer's value (404 for a customer outside your scope).
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), params(ExplainPath),
    responses((status = 200, description = "The explanation", body = ExplainResponse)))]
#[get("/segments/{id}/explain/{customer_id}")]
pub async fn explain_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<ExplainPath>,
) -> ApiResult<web::Json<ExplainResponse>> {
    Ok(web::Json(state.app.explain_segment(&who.0, path.0.id, path.0.customer_id).await?.into()))
}
