//! Carry-over (积分结转) runs and their reversal (反结转); the rewards they make.

use super::super::ApiResult;
use super::super::batch::keyed;
use super::super::batch::{BatchResponse, ItemStatus, respond as batch_respond};
use super::super::common::{IdPath, nullable};
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{PointsPlansWrite, PointsRead, RewardsWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use crm_app::AppError;
use crm_app::loyalty::carry_over::{CarryOverOutcome, Preview, Reversal, RunView};
use crm_app::loyalty::rewards::{RedeemStatus, Redeemed, RewardFilter, RewardPatch, RewardView};
use crm_app::paging::{Page, PageRequest};
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{CarryOverRunId, MemberId, PointsPlanId, RewardId};
use crm_domain::loyalty::Money;
use crm_domain::loyalty::carry_over::RewardStatus;
use crm_domain::loyalty::plan::RewardKind;
use crm_domain::{FieldErrors, limits};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

impl ItemStatus for RedeemStatus {
    const FAILED: Self = RedeemStatus::Failed;
}

/// A carry-over request.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"dry_run": true}))]
pub struct CarryOverRequest {
    /// Preview only: who would be carried over, with how many points and what value; nothing is
    /// written.
    #[serde(default)]
    pub dry_run: bool,
}

/// A dry run's preview, or the run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CarryOverResponse {
    Preview(Preview),
    Run(RunView),
}

/// A reversal of a whole run or of chosen members.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseRequest {
    /// Only these members (1 to 1000); absent: every member of the run.
    #[schema(min_items = 1, max_items = 1000)]
    pub member_ids: Option<Vec<MemberId>>,
}

/// A plan's runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub items: Vec<RunView>,
}

/// Reward list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RewardParams {
    pub run_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub plan_id: Option<Uuid>,
    #[param(value_type = Option<RewardStatus>)]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A change of an issued reward: absent fields stay, `note: null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"value": "500.00", "kind": "physical", "note": "换购电饭煲"}))]
pub struct RewardUpdate {
    #[schema(value_type = Option<String>, example = "500.00")]
    pub value: Option<String>,
    #[schema(value_type = Option<RewardKind>)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub note: Option<Option<String>>,
}

/// A redemption date for many rewards.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reward_ids": ["0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c"], "redeemed_on": "2027-01-15"}))]
pub struct RedeemRequest {
    /// 1 to 1000 rewards.
    #[schema(min_items = 1, max_items = 1000)]
    pub reward_ids: Vec<RewardId>,
    pub redeemed_on: NaiveDate,
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from(AppError::Invalid(e))
}

/// Carries the plan over (from the day after its end, else 409 `carry_over.plan_not_ended`), or
/// previews it with `dry_run`. A run goes in batches of 1000 members, each committed with its
/// debits, rewards and events; it is answered 201 when it completed within the request, else 202
/// while it continues in the background (follow it with `GET /carry-over-runs/{id}`; a stopped
/// run is resumed by the scheduler). Carrying over a plan that has a run already answers that run
/// (200): running twice changes nothing. After a full reversal a new run may be made.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points_plans:write"])), params(IdPath), request_body = CarryOverRequest,
    responses((status = 201, description = "The run, completed", body = RunView),
        (status = 202, description = "The run, still running", body = RunView),
        (status = 200, description = "The dry run's preview, or the plan's existing run", body = CarryOverResponse)))]
#[post("/points-plans/{id}/carry-over")]
pub async fn carry_over(
    state: web::Data<ApiState>,
    who: Allowed<PointsPlansWrite>,
    path: Path<IdPath>,
    body: Json<CarryOverRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    Ok(match state.app.carry_over_plan(&who.0, PointsPlanId(path.0.id), b.dry_run).await? {
        CarryOverOutcome::Preview(p) => HttpResponse::Ok().json(p),
        CarryOverOutcome::Run { run, started } => {
            let status = match (started, run.status) {
                (false, _) => StatusCode::OK,
                (true, crm_domain::loyalty::carry_over::RunStatus::Running) => StatusCode::ACCEPTED,
                (true, _) => StatusCode::CREATED,
            };
            HttpResponse::build(status).json(run)
        }
    })
}

/// The plan's carry-over runs, newest first.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath),
    responses((status = 200, description = "Runs", body = RunList)))]
#[get("/points-plans/{id}/carry-over-runs")]
pub async fn list_runs(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<RunList>> {
    Ok(web::Json(RunList { items: state.app.list_carry_over_runs(&who.0, PointsPlanId(path.0.id)).await? }))
}

/// One run and its progress (members, points and value so far).
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath),
    responses((status = 200, description = "The run", body = RunView)))]
#[get("/carry-over-runs/{id}")]
pub async fn get_run(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<RunView>> {
    Ok(web::Json(state.app.get_carry_over_run(&who.0, CarryOverRunId(path.0.id)).await?))
}

/// 反结转: cancels the run's rewards that are not redeemed (all, or of `member_ids`) and credits
/// their points back, in batches; reversing again changes nothing. Once no reward of the run is
/// left the run is `reversed`. 409 `carry_over.running` while the run is not finished.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points_plans:write"])), params(IdPath), request_body = ReverseRequest,
    responses((status = 200, description = "What was reversed", body = Reversal)))]
#[post("/carry-over-runs/{id}/reverse")]
pub async fn reverse_run(
    state: web::Data<ApiState>,
    who: Allowed<PointsPlansWrite>,
    path: Path<IdPath>,
    body: Json<ReverseRequest>,
) -> ApiResult<web::Json<Reversal>> {
    let b = body.into_inner()?;
    Ok(web::Json(state.app.reverse_carry_over(&who.0, CarryOverRunId(path.0.id), b.member_ids).await?))
}

/// Rewards within the caller's data scope (through their members), newest first.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(RewardParams),
    responses((status = 200, description = "A page of rewards", body = Page<RewardView>)))]
#[get("/rewards")]
pub async fn list_rewards(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    q: Query<RewardParams>,
) -> ApiResult<web::Json<Page<RewardView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let status = q
        .status
        .as_deref()
        .map(|s| RewardStatus::parse("/status", s))
        .transpose()
        .map_err(|e| ApiError::in_query(AppError::from(e)))?;
    let f = RewardFilter {
        run_id: q.run_id.map(CarryOverRunId),
        member_id: q.member_id.map(MemberId),
        plan_id: q.plan_id.map(PointsPlanId),
        status,
    };
    Ok(web::Json(state.app.list_rewards(&who.0, f, page).await?))
}

/// One reward.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath),
    responses((status = 200, description = "The reward", body = RewardView)))]
#[get("/rewards/{id}")]
pub async fn get_reward(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<RewardView>> {
    Ok(web::Json(state.app.get_reward(&who.0, RewardId(path.0.id)).await?))
}

/// Edits an issued reward (409 `reward.not_editable` once redeemed or cancelled).
#[utoipa::path(tag = "loyalty", security(("bearer" = ["rewards:write"])), params(IdPath), request_body = RewardUpdate,
    responses((status = 200, description = "Updated", body = RewardView)))]
#[patch("/rewards/{id}")]
pub async fn update_reward(
    state: web::Data<ApiState>,
    who: Allowed<RewardsWrite>,
    path: Path<IdPath>,
    body: Json<RewardUpdate>,
) -> ApiResult<web::Json<RewardView>> {
    let b = body.into_inner()?;
    let mut errs = FieldErrors::default();
    let patch = RewardPatch {
        value: b.value.as_deref().and_then(|v| errs.check(Money::parse("/value", v))),
        kind: b.kind.as_deref().and_then(|k| errs.check(RewardKind::parse("/kind", k))),
        note: b.note.map(|n| errs.check(parse_text("/note", n.as_deref(), limits::REWARD_NOTE)).flatten()),
    };
    errs.into_result().map_err(invalid)?;
    Ok(web::Json(state.app.update_reward(&who.0, RewardId(path.0.id), patch).await?))
}

/// Sets the redemption date of many rewards (兑现), each answered in `items`: `redeemed`,
/// `unchanged` (redeemed on that date already) or `failed` (409 `reward.not_editable` for a
/// cancelled one or one redeemed on another date).
#[utoipa::path(tag = "loyalty", security(("bearer" = ["rewards:write"])), request_body = RedeemRequest,
    responses((status = 200, description = "Per-reward results", body = BatchResponse<RedeemStatus, Redeemed>)))]
#[post("/rewards/redeem")]
pub async fn redeem_rewards(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<RewardsWrite>,
    body: Json<RedeemRequest>,
) -> ApiResult<web::Json<BatchResponse<RedeemStatus, Redeemed>>> {
    let b = body.into_inner()?;
    let out = state.app.redeem_rewards(&who.0, &b.reward_ids, b.redeemed_on).await?;
    let r = batch_respond(&req, Vec::new(), out);
    Ok(web::Json(keyed(r, |i| b.reward_ids.get(i).map(|id| Redeemed { reward_id: *id, reward: None }))))
}
