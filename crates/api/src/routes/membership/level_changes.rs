//! Member level changes (级别调整): by hand for one member or many, and a member's level history.

use super::super::ApiResult;
use super::super::batch::keyed;
use super::super::batch::{BatchResponse, respond as batch_respond};
use super::super::common::IdPath;
use super::members::respond;
use crate::extract::{Allowed, Json, Path};
use crate::perm::{MembersLevel, MembersRead};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use crm_app::membership::level_changes::{LevelChangeStatus, LevelChangeView, LevelChanged};
use crm_app::membership::member::MemberView;
use crm_domain::ids::{LevelId, MemberId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// A level change by hand.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"level_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "reason": "年度评审"}))]
pub struct LevelChangeRequest {
    pub level_id: LevelId,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The same level change for many members.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkLevelRequest {
    /// 1 to 1000 member ids.
    #[schema(min_items = 1, max_items = 1000)]
    pub member_ids: Vec<MemberId>,
    pub level_id: LevelId,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Per-member results of a bulk level change, in the order of the request.
pub type BulkLevelResponse = BatchResponse<LevelChangeStatus, LevelChanged>;

/// The level history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelHistory {
    pub items: Vec<LevelChangeView>,
}

/// 级别调整: sets the member's level by hand, with a reason.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:level"])), params(IdPath), request_body = LevelChangeRequest,
    responses((status = 200, description = "The member", body = MemberView)))]
#[post("/members/{id}/level")]
pub async fn change_level(
    state: web::Data<ApiState>,
    who: Allowed<MembersLevel>,
    path: Path<IdPath>,
    body: Json<LevelChangeRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let m = state.app.change_member_level(&who.0, MemberId(path.0.id), b.level_id, Some(b.reason)).await?;
    Ok(respond(StatusCode::OK, m))
}

/// The same level for many members; each is answered in `items`: `changed`, `unchanged` (it had
/// the level already) or `failed`.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:level"])), request_body = BulkLevelRequest,
    responses((status = 200, description = "Per-member results", body = BatchResponse<LevelChangeStatus, LevelChanged>)))]
#[post("/members/bulk-level")]
pub async fn bulk_level(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<MembersLevel>,
    body: Json<BulkLevelRequest>,
) -> ApiResult<web::Json<BulkLevelResponse>> {
    let b = body.into_inner()?;
    let out = state.app.bulk_change_member_level(&who.0, &b.member_ids, b.level_id, Some(b.reason)).await?;
    let r = batch_respond(&req, Vec::new(), out);
    Ok(web::Json(keyed(r, |i| b.member_ids.get(i).map(|id| LevelChanged { id: *id }))))
}

/// Every level the member has had, oldest first.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])), params(IdPath),
    responses((status = 200, description = "The history", body = LevelHistory)))]
#[get("/members/{id}/level-history")]
pub async fn level_history(
    state: web::Data<ApiState>,
    who: Allowed<MembersRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<LevelHistory>> {
    let items = state.app.member_level_history(&who.0, MemberId(path.0.id)).await?;
    Ok(web::Json(LevelHistory { items }))
}
