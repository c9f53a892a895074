//! Points plans (积分方案): periods, point value, point items, the carry-over rule.

use super::super::ApiResult;
use super::super::common::IdPath;
use crate::extract::{Allowed, Json, Path};
use crate::perm::{PointsPlansWrite, PointsRead};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use crm_app::AppError;
use crm_app::loyalty::plans::{PlanPatch, PlanView};
use crm_domain::ids::PointsPlanId;
use crm_domain::loyalty::plan::{
    CarryOverRule, EffectiveWhen, ItemCategory, ItemInput, PlanSpec, PointItem, RewardKind, parse_plan_name,
};
use crm_domain::loyalty::{Money, Points};
use crm_domain::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// A point item: what earns how many points.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointItemRequest {
    #[schema(value_type = ItemCategory)]
    pub category: Option<String>,
    /// Reward points per unit (per `amount_per_point` of a purchase, else per occasion); default 0.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub reward_points: Option<i64>,
    /// Upgrade points per unit; default 0. At least one of the two is above 0.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub upgrade_points: Option<i64>,
    /// Purchase items only (required there): the amount that earns one unit, e.g. `"100.00"`.
    #[schema(value_type = Option<String>, example = "100.00")]
    pub amount_per_point: Option<String>,
    /// Purchase items only: `paid_in_full` (default) or `first_payment`.
    #[schema(value_type = Option<EffectiveWhen>)]
    pub effective_when: Option<String>,
}

/// The carry-over rule.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryOverRuleRequest {
    /// Members with fewer available reward points are not carried over; default 1.
    #[schema(minimum = 1)]
    pub min_points: Option<i64>,
    /// `cash` (default) or `physical`.
    #[schema(value_type = Option<RewardKind>)]
    pub reward_kind: Option<String>,
}

/// A new plan.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "2026 年度积分", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "point_value": "0.50",
    "items": [
        {"category": "purchase", "reward_points": 1, "upgrade_points": 1, "amount_per_point": "100.00", "effective_when": "paid_in_full"},
        {"category": "online_enrollment", "reward_points": 200}
    ],
    "carry_over": {"min_points": 100, "reward_kind": "cash"}
}))]
pub struct PlanCreate {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// First day, in the tenant's time zone.
    #[schema(value_type = NaiveDate, required = true)]
    pub starts_on: Option<NaiveDate>,
    /// Last day (inclusive).
    #[schema(value_type = NaiveDate, required = true)]
    pub ends_on: Option<NaiveDate>,
    /// Money per reward point when carried over into cash (`"0.50"`); default `"0.00"`.
    #[schema(value_type = Option<String>, example = "0.50")]
    pub point_value: Option<String>,
    /// At most one item per category.
    #[serde(default)]
    pub items: Vec<PointItemRequest>,
    pub carry_over: Option<CarryOverRuleRequest>,
}

/// A change of a plan: absent fields stay; `items` replaces the list. The period cannot change
/// once the plan has ledger entries.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"carry_over": {"min_points": 200, "reward_kind": "physical"}}))]
pub struct PlanUpdate {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[schema(value_type = Option<String>, example = "0.50")]
    pub point_value: Option<String>,
    pub items: Option<Vec<PointItemRequest>>,
    pub carry_over: Option<CarryOverRuleRequest>,
}

fn items(errs: &mut FieldErrors, raw: Vec<PointItemRequest>) -> Vec<PointItem> {
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let at = format!("/items/{i}");
        let category =
            r.category.as_deref().and_then(|c| errs.check(ItemCategory::parse(&format!("{at}/category"), c)));
        let amount =
            r.amount_per_point.as_deref().and_then(|m| errs.check(Money::parse(&format!("{at}/amount_per_point"), m)));
        let when = r
            .effective_when
            .as_deref()
            .and_then(|w| errs.check(EffectiveWhen::parse(&format!("{at}/effective_when"), w)));
        if r.category.is_some() && category.is_none() {
            continue;
        }
        let input = ItemInput {
            category,
            reward_points: r.reward_points,
            upgrade_points: r.upgrade_points,
            amount_per_point: amount,
            effective_when: when,
        };
        match PointItem::parse(&at, input) {
            Ok(item) => out.push(item),
            Err(e) => errs.0.extend(e.0),
        }
    }
    out
}

fn rule(errs: &mut FieldErrors, r: CarryOverRuleRequest) -> CarryOverRule {
    let d = CarryOverRule::default();
    CarryOverRule {
        min_points: r.min_points.map_or(d.min_points, Points::new),
        reward_kind: r
            .reward_kind
            .as_deref()
            .and_then(|k| errs.check(RewardKind::parse("/carry_over/reward_kind", k)))
            .unwrap_or(d.reward_kind),
    }
}

impl TryFrom<PlanCreate> for PlanSpec {
    type Error = FieldErrors;

    fn try_from(b: PlanCreate) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let name = match b.name.as_deref() {
            Some(n) => errs.check(parse_plan_name("/name", n)),
            None => {
                errs.push(FieldError::new("/name", "required"));
                None
            }
        };
        for (field, given) in [("/starts_on", b.starts_on.is_some()), ("/ends_on", b.ends_on.is_some())] {
            if !given {
                errs.push(FieldError::new(field, "required"));
            }
        }
        let point_value = b.point_value.as_deref().and_then(|v| errs.check(Money::parse("/point_value", v)));
        let items = items(&mut errs, b.items);
        let carry_over = rule(&mut errs, b.carry_over.unwrap_or_default());
        errs.into_result()?;
        match (name, b.starts_on, b.ends_on) {
            (Some(name), Some(starts_on), Some(ends_on)) => Ok(PlanSpec {
                name,
                starts_on,
                ends_on,
                point_value: point_value.unwrap_or(Money::ZERO),
                items,
                carry_over,
            }),
            _ => Err(FieldError::new("/name", "required").into()),
        }
    }
}

impl TryFrom<PlanUpdate> for PlanPatch {
    type Error = FieldErrors;

    fn try_from(b: PlanUpdate) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let patch = PlanPatch {
            name: b.name.as_deref().and_then(|n| errs.check(parse_plan_name("/name", n))),
            starts_on: b.starts_on,
            ends_on: b.ends_on,
            point_value: b.point_value.as_deref().and_then(|v| errs.check(Money::parse("/point_value", v))),
            items: b.items.map(|i| items(&mut errs, i)),
            carry_over: b.carry_over.map(|r| rule(&mut errs, r)),
        };
        errs.into_result()?;
        Ok(patch)
    }
}

/// Every plan, by period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanView>,
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from(AppError::Invalid(e))
}

/// Creates a plan. 409 `points_plan.overlaps` when another plan covers one of its days.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points_plans:write"])), request_body = PlanCreate,
    responses((status = 201, description = "Created", body = PlanView)))]
#[post("/points-plans")]
pub async fn create_plan(
    state: web::Data<ApiState>,
    who: Allowed<PointsPlansWrite>,
    body: Json<PlanCreate>,
) -> ApiResult<HttpResponse> {
    let spec = PlanSpec::try_from(body.into_inner()?).map_err(invalid)?;
    let plan = state.app.create_points_plan(&who.0, spec).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(plan))
}

/// Every plan, by period.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])),
    responses((status = 200, description = "Plans", body = PlanList)))]
#[get("/points-plans")]
pub async fn list_plans(state: web::Data<ApiState>, who: Allowed<PointsRead>) -> ApiResult<web::Json<PlanList>> {
    Ok(web::Json(PlanList { items: state.app.list_points_plans(&who.0).await? }))
}

/// One plan.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath),
    responses((status = 200, description = "The plan", body = PlanView)))]
#[get("/points-plans/{id}")]
pub async fn get_plan(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<PlanView>> {
    Ok(web::Json(state.app.get_points_plan(&who.0, PointsPlanId(path.0.id)).await?))
}

/// Changes a plan. 409 `points_plan.overlaps`, or `points_plan.period_locked` when the period
/// would change after entries were written in it.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points_plans:write"])), params(IdPath), request_body = PlanUpdate,
    responses((status = 200, description = "Updated", body = PlanView)))]
#[patch("/points-plans/{id}")]
pub async fn update_plan(
    state: web::Data<ApiState>,
    who: Allowed<PointsPlansWrite>,
    path: Path<IdPath>,
    body: Json<PlanUpdate>,
) -> ApiResult<web::Json<PlanView>> {
    let patch = PlanPatch::try_from(body.into_inner()?).map_err(invalid)?;
    Ok(web::Json(state.app.update_points_plan(&who.0, PointsPlanId(path.0.id), patch).await?))
}
