//! Customer segments: static lists and rule-based segments, their count, members and "why".

use super::invalid;
use crate::extract::{Allowed, IfMatch, Json, Path, Query};
use crate::perm::{SegmentsRead, SegmentsWrite};
use crate::problem::ApiError;
use crate::routes::ApiResult;
use crate::routes::common::{IdPath, IfMatchHeader, nullable, with_etag};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_app::customers::records::CustomerView;
use crm_app::customers::segments::{
    Members, MembershipChange, NewSegment, SegmentExplanation, SegmentPatch, SegmentView,
};
use crm_app::paging::{Items, Page, PageRequest};
use crm_domain::customers::customer::parse_text;
use crm_domain::customers::segments::SegmentKind;
use crm_domain::ids::{CustomerId, SegmentId};
use crm_domain::{FieldError, FieldErrors, limits};
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
    #[schema(value_type = SegmentKind)]
    pub kind: String,
    pub description: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub rules: Option<Value>,
}

/// A segment's name: trimmed, 1 to 200 characters.
fn name(raw: &str, e: &mut FieldErrors) -> Option<String> {
    match e.check(parse_text("/name", Some(raw), limits::SEGMENT_NAME)) {
        Some(None) => {
            e.push(FieldError::new("/name", "required"));
            None
        }
        n => n.flatten(),
    }
}

fn description(raw: Option<&str>, e: &mut FieldErrors) -> Option<String> {
    e.check(parse_text("/description", raw, 2000)).flatten()
}

impl TryFrom<CreateSegmentRequest> for NewSegment {
    type Error = FieldErrors;

    fn try_from(b: CreateSegmentRequest) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = name(&b.name, &mut e);
        let kind = e.check(SegmentKind::parse("/kind", &b.kind));
        let description = description(b.description.as_deref(), &mut e);
        let members = match (kind, b.rules) {
            (Some(SegmentKind::Static), None) => Some(Members::Static),
            (Some(SegmentKind::Rule), Some(v)) => Some(Members::Rules(v)),
            (Some(SegmentKind::Rule), None) => {
                e.push(FieldError::new("/rules", "required"));
                None
            }
            (Some(SegmentKind::Static), Some(_)) => {
                e.push(FieldError::new("/rules", "not_allowed"));
                None
            }
            (None, _) => None,
        };
        match (name, members) {
            (Some(name), Some(members)) if e.is_empty() => Ok(NewSegment { name, description, members }),
            _ => Err(e),
        }
    }
}

/// A change of a segment; absent fields stay. `rules` only for rule-based segments.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "沉睡客户（半年）"}))]
pub struct UpdateSegmentRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub rules: Option<Value>,
}

impl TryFrom<UpdateSegmentRequest> for SegmentPatch {
    type Error = FieldErrors;

    fn try_from(b: UpdateSegmentRequest) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let patch = SegmentPatch {
            name: b.name.and_then(|n| name(&n, &mut e)),
            description: b.description.map(|d| description(d.as_deref(), &mut e)),
            rules: b.rules,
        };
        e.into_result().map(|()| patch)
    }
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

/// How many customers within your data scope match.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountResponse {
    pub count: u64,
}

/// Member paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
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
    with_etag(status, &s, &s.etag)
}

fn segment(path: &IdPath) -> SegmentId {
    SegmentId(path.id)
}

fn customers(ids: Vec<Uuid>) -> Vec<CustomerId> {
    ids.into_iter().map(CustomerId).collect()
}

/// Creates a segment (names are unique in the tenant).
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), request_body = CreateSegmentRequest,
    responses((status = 201, description = "Created", body = SegmentView)))]
#[post("/segments")]
pub async fn create_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    body: Json<CreateSegmentRequest>,
) -> ApiResult<HttpResponse> {
    let input = NewSegment::try_from(body.into_inner()?).map_err(invalid)?;
    Ok(respond(StatusCode::CREATED, state.app.create_segment(&who.0, input).await?))
}

/// The tenant's segments.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])),
    responses((status = 200, description = "Segments, by name", body = Items<SegmentView>)))]
#[get("/segments")]
pub async fn list_segments(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
) -> ApiResult<web::Json<Items<SegmentView>>> {
    Ok(web::Json(state.app.list_segments(&who.0).await?))
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
    responses((status = 200, description = "The segment", body = SegmentView)))]
#[get("/segments/{id}")]
pub async fn get_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_segment(&who.0, segment(&path.0)).await?))
}

/// Changes a segment's name, description or rules. Honours `If-Match`.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath, IfMatchHeader),
    request_body = UpdateSegmentRequest, responses((status = 200, description = "Updated", body = SegmentView)))]
#[patch("/segments/{id}")]
pub async fn update_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<UpdateSegmentRequest>,
) -> ApiResult<HttpResponse> {
    let patch = SegmentPatch::try_from(body.into_inner()?).map_err(invalid)?;
    let s = state.app.update_segment(&who.0, segment(&path.0), patch, if_match.as_deref()).await?;
    Ok(respond(StatusCode::OK, s))
}

/// Deletes a segment (a static one's member list goes with it). Honours `If-Match`.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath, IfMatchHeader),
    responses((status = 204, description = "Deleted")))]
#[delete("/segments/{id}")]
pub async fn delete_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    state.app.delete_segment(&who.0, segment(&path.0), if_match.as_deref()).await?;
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
    Ok(web::Json(CountResponse { count: state.app.count_segment(&who.0, segment(&path.0)).await? }))
}

/// The segment's members within your data scope, in id order.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), params(IdPath, MemberParams),
    responses((status = 200, description = "A page of customers", body = Page<CustomerView>)))]
#[get("/segments/{id}/members")]
pub async fn segment_members(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<IdPath>,
    q: Query<MemberParams>,
) -> ApiResult<web::Json<Page<CustomerView>>> {
    let page = PageRequest::parse(q.0.limit, q.0.cursor.as_deref()).map_err(ApiError::in_query)?;
    Ok(web::Json(state.app.segment_members(&who.0, segment(&path.0), page).await?))
}

/// Adds customers to a static segment; ones already in it stay (409 `segment.not_static` for a rule-based one).
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath), request_body = MembersRequest,
    responses((status = 200, description = "Added", body = MembershipChange)))]
#[post("/segments/{id}/members")]
pub async fn add_segment_members(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    body: Json<MembersRequest>,
) -> ApiResult<web::Json<MembershipChange>> {
    let b = body.into_inner()?;
    Ok(web::Json(state.app.add_segment_members(&who.0, segment(&path.0), &customers(b.customer_ids)).await?))
}

/// Removes customers from a static segment; ones not in it are ignored.
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:write"])), params(IdPath), request_body = MembersRequest,
    responses((status = 200, description = "Removed", body = MembershipChange)))]
#[post("/segments/{id}/members/remove")]
pub async fn remove_segment_members(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsWrite>,
    path: Path<IdPath>,
    body: Json<MembersRequest>,
) -> ApiResult<web::Json<MembershipChange>> {
    let b = body.into_inner()?;
    Ok(web::Json(state.app.remove_segment_members(&who.0, segment(&path.0), &customers(b.customer_ids)).await?))
}

/// Why a customer within your data scope is or is not in the segment: each condition, whether it
/// held, and the customer's value (404 for a customer outside your scope).
#[utoipa::path(tag = "segments", security(("bearer" = ["segments:read"])), params(ExplainPath),
    responses((status = 200, description = "The explanation", body = SegmentExplanation)))]
#[get("/segments/{id}/explain/{customer_id}")]
pub async fn explain_segment(
    state: web::Data<ApiState>,
    who: Allowed<SegmentsRead>,
    path: Path<ExplainPath>,
) -> ApiResult<web::Json<SegmentExplanation>> {
    let p = path.0;
    Ok(web::Json(state.app.explain_segment(&who.0, SegmentId(p.id), CustomerId(p.customer_id)).await?))
}
