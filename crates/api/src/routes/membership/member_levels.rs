//! Member levels (会员级别): value, upgrade threshold, points multiplier, benefits.

use super::super::ApiResult;
use super::super::common::{IdPath, IfMatchHeader, nullable, with_etag};
use crate::extract::{Allowed, IfMatch, Json, Path};
use crate::perm::{MemberLevelsWrite, MembersRead};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use crm_app::AppError;
use crm_app::membership::levels::LevelView;
use crm_domain::ids::LevelId;
use crm_domain::membership::level::{parse_benefits, parse_level_name, parse_level_value, parse_upgrade_points};
use crm_domain::membership::{LevelPatch, LevelSpec, Multiplier};
use crm_domain::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// A new level.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "金卡", "level_value": 20, "upgrade_points": 5000, "points_multiplier": "1.5", "benefits": "生日双倍积分"}))]
pub struct LevelCreate {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Higher is better; unique in the tenant. 0 to 1,000,000.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 1_000_000)]
    pub level_value: Option<i64>,
    /// Upgrade points at which a member reaches this level automatically. Default 0.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub upgrade_points: Option<i64>,
    /// A decimal with at most two places, 0.01 to 100 (`"1.5"`; a JSON number is accepted too). Default 1.
    #[schema(value_type = Option<String>, example = "1.5")]
    pub points_multiplier: Option<serde_json::Value>,
    #[schema(max_length = 2000)]
    pub benefits: Option<String>,
}

/// A change of a level: absent fields stay, `benefits: null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"upgrade_points": 6000, "points_multiplier": "1.6"}))]
pub struct LevelUpdate {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Higher is better; unique in the tenant. 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub level_value: Option<i64>,
    /// Upgrade points at which a member reaches this level automatically.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub upgrade_points: Option<i64>,
    /// A decimal with at most two places, 0.01 to 100 (`"1.5"`; a JSON number is accepted too).
    #[schema(value_type = Option<String>, example = "1.5")]
    pub points_multiplier: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 2000)]
    pub benefits: Option<Option<String>>,
}

/// A multiplier given as a number or a string; anything else fails the multiplier's own rule.
fn multiplier(v: serde_json::Value) -> Result<Multiplier, FieldError> {
    let s = match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Multiplier::parse("/points_multiplier", &s)
}

/// Reads the fields both bodies have, collecting every error.
fn patch(
    errs: &mut FieldErrors,
    name: Option<String>,
    level_value: Option<i64>,
    upgrade_points: Option<i64>,
    points_multiplier: Option<serde_json::Value>,
) -> LevelPatch {
    LevelPatch {
        name: name.and_then(|n| errs.check(parse_level_name("/name", &n))),
        level_value: level_value.and_then(|v| errs.check(parse_level_value("/level_value", v))),
        upgrade_points: upgrade_points.and_then(|v| errs.check(parse_upgrade_points("/upgrade_points", v))),
        multiplier: points_multiplier.and_then(|v| errs.check(multiplier(v))),
        benefits: None,
    }
}

impl TryFrom<LevelCreate> for LevelSpec {
    type Error = FieldErrors;

    fn try_from(b: LevelCreate) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        for (field, given) in [("/name", b.name.is_some()), ("/level_value", b.level_value.is_some())] {
            if !given {
                errs.push(FieldError::new(field, "required"));
            }
        }
        let p = patch(&mut errs, b.name, b.level_value, b.upgrade_points, b.points_multiplier);
        let benefits = errs.check(parse_benefits("/benefits", b.benefits.as_deref())).flatten();
        errs.into_result()?;
        match (p.name, p.level_value) {
            (Some(name), Some(level_value)) => Ok(LevelSpec {
                name,
                level_value,
                upgrade_points: p.upgrade_points.unwrap_or(0),
                multiplier: p.multiplier.unwrap_or(Multiplier::ONE),
                benefits,
            }),
            _ => Err(FieldError::new("/name", "required").into()),
        }
    }
}

impl TryFrom<LevelUpdate> for LevelPatch {
    type Error = FieldErrors;

    fn try_from(b: LevelUpdate) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let mut p = patch(&mut errs, b.name, b.level_value, b.upgrade_points, b.points_multiplier);
        p.benefits = b.benefits.and_then(|v| errs.check(parse_benefits("/benefits", v.as_deref())));
        errs.into_result()?;
        Ok(p)
    }
}

/// The levels, lowest first (the first is the entry level of new members).
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelList {
    pub items: Vec<LevelView>,
}

fn respond(status: StatusCode, l: LevelView) -> HttpResponse {
    with_etag(status, &l, &l.etag())
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from(AppError::Invalid(e))
}

/// Creates a level. 409 `member_level.value_taken` or `member_level.name_taken` when another has it.
#[utoipa::path(tag = "membership", security(("bearer" = ["member_levels:write"])), request_body = LevelCreate,
    responses((status = 201, description = "Created", body = LevelView)))]
#[post("/member-levels")]
pub async fn create_level(
    state: web::Data<ApiState>,
    who: Allowed<MemberLevelsWrite>,
    body: Json<LevelCreate>,
) -> ApiResult<HttpResponse> {
    let spec = LevelSpec::try_from(body.into_inner()?).map_err(invalid)?;
    let l = state.app.create_member_level(&who.0, spec).await?;
    Ok(respond(StatusCode::CREATED, l))
}

/// Every level, lowest `level_value` first.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])),
    responses((status = 200, description = "Levels", body = LevelList)))]
#[get("/member-levels")]
pub async fn list_levels(state: web::Data<ApiState>, who: Allowed<MembersRead>) -> ApiResult<web::Json<LevelList>> {
    Ok(web::Json(LevelList { items: state.app.list_member_levels(&who.0).await? }))
}

/// One level.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])), params(IdPath),
    responses((status = 200, description = "The level", body = LevelView)))]
#[get("/member-levels/{id}")]
pub async fn get_level(
    state: web::Data<ApiState>,
    who: Allowed<MembersRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_member_level(&who.0, LevelId(path.0.id)).await?))
}

/// Changes a level; absent fields stay.
#[utoipa::path(tag = "membership", security(("bearer" = ["member_levels:write"])), params(IdPath, IfMatchHeader),
    request_body = LevelUpdate,
    responses((status = 200, description = "Updated", body = LevelView)))]
#[patch("/member-levels/{id}")]
pub async fn update_level(
    state: web::Data<ApiState>,
    who: Allowed<MemberLevelsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<LevelUpdate>,
) -> ApiResult<HttpResponse> {
    let patch = LevelPatch::try_from(body.into_inner()?).map_err(invalid)?;
    let id = LevelId(path.0.id);
    Ok(respond(StatusCode::OK, state.app.update_member_level(&who.0, id, patch, if_match.as_deref()).await?))
}

/// Deletes a level no member holds (409 `member_level.in_use` otherwise).
#[utoipa::path(tag = "membership", security(("bearer" = ["member_levels:write"])), params(IdPath),
    responses((status = 204, description = "Deleted")))]
#[delete("/member-levels/{id}")]
pub async fn delete_level(
    state: web::Data<ApiState>,
    who: Allowed<MemberLevelsWrite>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    state.app.delete_member_level(&who.0, LevelId(path.0.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
