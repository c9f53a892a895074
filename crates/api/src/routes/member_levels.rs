//! Member levels (会员级别): value, upgrade threshold, points multiplier, benefits.

use super::ApiResult;
use super::common::{IdPath, nullable, with_etag};
use crate::extract::{Allowed, IfMatch, Json, Path};
use crate::perm::{MemberLevelsWrite, MembersRead};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use crm_app::membership::levels::{LevelInput, LevelView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A level's fields. On create `name` and `level_value` are required; on `PATCH` absent fields stay.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "金卡", "level_value": 20, "upgrade_points": 5000, "points_multiplier": "1.5", "benefits": "生日双倍积分"}))]
pub struct LevelFields {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Higher is better; unique in the tenant. 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub level_value: Option<i64>,
    /// Upgrade points at which a member reaches this level automatically.
    #[schema(minimum = 0)]
    pub upgrade_points: Option<i64>,
    /// A decimal with at most two places, 0.01 to 100 (`"1.5"`; a JSON number is accepted too). Default 1.
    #[schema(value_type = Option<String>, example = "1.5")]
    pub points_multiplier: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub benefits: Option<Option<String>>,
}

impl From<LevelFields> for LevelInput {
    fn from(f: LevelFields) -> Self {
        LevelInput {
            name: f.name,
            level_value: f.level_value,
            upgrade_points: f.upgrade_points,
            // A number or a string; anything else fails the multiplier's own rule.
            points_multiplier: f.points_multiplier.map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            }),
            benefits: f.benefits,
        }
    }
}

/// A level.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelResponse {
    pub id: Uuid,
    pub name: String,
    pub level_value: i32,
    pub upgrade_points: i64,
    /// Two decimal places (`"1.50"`).
    #[schema(example = "1.50")]
    pub points_multiplier: String,
    pub benefits: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<LevelView> for LevelResponse {
    fn from(l: LevelView) -> Self {
        Self {
            id: l.id,
            name: l.name,
            level_value: l.level_value,
            upgrade_points: l.upgrade_points,
            points_multiplier: l.points_multiplier.to_string(),
            benefits: l.benefits,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// The levels, lowest first (the first is the entry level of new members).
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelList {
    pub items: Vec<LevelResponse>,
}

fn respond(status: StatusCode, l: LevelView) -> HttpResponse {
    let etag = l.etag();
    with_etag(status, &LevelResponse::from(l), &etag)
}

/// Creates a level. 409 `member_level.value_taken` or `member_level.name_taken` when another has it.
#[utoipa::path(tag = "membership", security(("bearer" = ["member_levels:write"])), request_body = LevelFields,
    responses((status = 201, description = "Created", body = LevelResponse)))]
#[post("/member-levels")]
pub async fn create_level(
    state: web::Data<ApiState>,
    who: Allowed<MemberLevelsWrite>,
    body: Json<LevelFields>,
) -> ApiResult<HttpResponse> {
    let l = state.app.create_member_level(&who.0, body.into_inner()?.into()).await?;
    Ok(respond(StatusCode::CREATED, l))
}

/// Every level, lowest `level_value` first.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])),
    responses((status = 200, description = "Levels", body = LevelList)))]
#[get("/member-levels")]
pub async fn list_levels(state: web::Data<ApiState>, who: Allowed<MembersRead>) -> ApiResult<web::Json<LevelList>> {
    let items = state.app.list_member_levels(&who.0).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(LevelList { items }))
}

/// One level.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])), params(IdPath),
    responses((status = 200, description = "The level", body = LevelResponse)))]
#[get("/member-levels/{id}")]
pub async fn get_level(
    state: web::Data<ApiState>,
    who: Allowed<MembersRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_member_level(&who.0, path.0.id).await?))
}

/// Changes a level; absent fields stay. Honours `If-Match`.
#[utoipa::path(tag = "membership", security(("bearer" = ["member_levels:write"])), params(IdPath), request_body = LevelFields,
    responses((status = 200, description = "Updated", body = LevelResponse)))]
#[patch("/member-levels/{id}")]
pub async fn update_level(
    state: web::Data<ApiState>,
    who: Allowed<MemberLevelsWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<LevelFields>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner()?.into();
    Ok(respond(StatusCode::OK, state.app.update_member_level(&who.0, path.0.id, input, if_match.as_deref()).await?))
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
    state.app.delete_member_level(&who.0, path.0.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
