//! Members (会员): get, list and look up; profile changes; the card's states (report lost,
//! unreport, replace) and cancellation; external identities.

use super::super::ApiResult;
use super::super::common::{IdPath, IfMatchHeader, nullable, with_etag};
use crate::extract::{Allowed, IfMatch, Json, Path, Query};
use crate::perm::{MembersRead, MembersWrite};
use crate::problem::{ApiError, Problem};
use crate::routes::customers::fields::CustomerPatch;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use crm_app::customers::records::CustomerInput;
use crm_app::membership::member::MemberView;
use crm_app::membership::members::{Lookup, MemberQuery};
use crm_app::paging::{Page, PageRequest};
use crm_domain::customers::Gender;
use crm_domain::ids::{LevelId, MemberId};
use crm_domain::membership::status::CardAction;
use crm_domain::membership::{Channel, MemberStatus};
use crm_domain::{FieldError, FieldErrors};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// Member list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    #[param(value_type = Option<MemberStatus>)]
    pub status: Option<String>,
    pub level_id: Option<LevelId>,
    /// The enrollment channel.
    #[param(value_type = Option<Channel>)]
    pub channel: Option<String>,
    /// Joined on or after this date (UTC).
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before this date (UTC).
    pub joined_to: Option<NaiveDate>,
    /// Members whose customer carries this tag.
    pub tag_id: Option<Uuid>,
    /// Members whose customer this user owns.
    pub owner_id: Option<Uuid>,
    /// A card number (or its beginning), a name, pinyin or initials, or a phone.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl TryFrom<&MemberParams> for MemberQuery {
    type Error = FieldErrors;

    fn try_from(p: &MemberParams) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let status = p.status.as_deref().and_then(|s| errs.check(MemberStatus::parse("/status", s)));
        let channel = p.channel.as_deref().and_then(|c| errs.check(Channel::parse("/channel", c)));
        errs.into_result()?;
        Ok(MemberQuery {
            status,
            level_id: p.level_id,
            channel,
            joined_from: p.joined_from,
            joined_to: p.joined_to,
            tag_id: p.tag_id,
            owner_id: p.owner_id,
            q: p.q.clone(),
        })
    }
}

/// Exactly one way to find a member.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    pub phone: Option<String>,
    /// A current card number (a retired one finds nothing).
    pub card_no: Option<String>,
    /// With `external_id`: an identity linked to the member (`wechat_unionid`, ...).
    pub source: Option<String>,
    pub external_id: Option<String>,
}

/// A member's profile (kept on the member's customer). Absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "wang.fang@example.com", "city": "杭州"}))]
pub struct ProfileRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Gender>, nullable)]
    pub gender: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>, nullable)]
    pub birthday: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub id_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub province: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub address: Option<Option<String>>,
}

/// The customer change a profile change is (the other customer fields stay), each field parsed
/// exactly as a customer `PATCH` parses it.
fn profile_input(b: ProfileRequest) -> CustomerInput {
    CustomerPatch {
        name: b.name,
        phone: b.phone,
        email: b.email,
        gender: b.gender,
        birthday: b.birthday,
        id_number: b.id_number,
        province: b.province,
        city: b.city,
        district: b.district,
        address: b.address,
        ..CustomerPatch::default()
    }
    .into()
}

/// A reason for a change of the card or membership.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A replacement card.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceCardRequest {
    /// A particular new number (default: the next one of the tenant's card mode).
    pub card_no: Option<String>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A cancellation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "本人申请注销"}))]
pub struct CancelRequest {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// An identity to link.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "wechat_unionid", "external_id": "o6_bmasdasdsad6_2sgVt7hMZOPfL"}))]
pub struct IdentityRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub source: String,
    #[schema(min_length = 1, max_length = 128)]
    pub external_id: String,
}

/// An identity in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdentityPath {
    /// Member id.
    pub id: Uuid,
    pub source: String,
    pub external_id: String,
}

pub(super) fn respond(status: StatusCode, m: MemberView) -> HttpResponse {
    with_etag(status, &m, &m.etag())
}

/// Members within the caller's data scope (through their customers' owners), oldest first.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])), params(MemberParams),
    responses((status = 200, description = "A page of members", body = Page<MemberView>)))]
#[get("/members")]
pub async fn list_members(
    state: web::Data<ApiState>,
    who: Allowed<MembersRead>,
    q: Query<MemberParams>,
) -> ApiResult<web::Json<Page<MemberView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = MemberQuery::try_from(&q).map_err(|e| ApiError::in_query(e.into()))?;
    Ok(web::Json(state.app.list_members(&who.0, f, page).await.map_err(ApiError::in_query)?))
}

/// One member by `phone`, `card_no`, or `source` + `external_id`, or 404 `member.not_found`.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])), params(LookupParams),
    responses((status = 200, description = "The member", body = MemberView),
        (status = 404, description = "No such member (`member.not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Several members have this phone (`member.lookup_ambiguous`)", body = Problem, content_type = "application/problem+json")))]
#[get("/members/lookup")]
pub async fn lookup_member(
    state: web::Data<ApiState>,
    who: Allowed<MembersRead>,
    q: Query<LookupParams>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let by = match (q.phone, q.card_no, q.source, q.external_id) {
        (Some(p), None, None, None) => Lookup::Phone(p),
        (None, Some(c), None, None) => Lookup::CardNo(c),
        (None, None, Some(source), Some(external_id)) => Lookup::Identity { source, external_id },
        _ => {
            return Err(ApiError::in_query(FieldError::new("/phone", "lookup_one_of").into()));
        }
    };
    Ok(respond(StatusCode::OK, state.app.lookup_member(&who.0, by).await.map_err(ApiError::in_query)?))
}

/// One member.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:read"])), params(IdPath),
    responses((status = 200, description = "The member", body = MemberView)))]
#[get("/members/{id}")]
pub async fn get_member(
    state: web::Data<ApiState>,
    who: Allowed<MembersRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_member(&who.0, MemberId(path.0.id)).await?))
}

/// Changes the member's profile (its customer record). Honours `If-Match`.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdPath, IfMatchHeader),
    request_body = ProfileRequest,
    responses((status = 200, description = "Updated", body = MemberView)))]
#[patch("/members/{id}")]
pub async fn update_member(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<ProfileRequest>,
) -> ApiResult<HttpResponse> {
    let input = profile_input(body.into_inner()?);
    let id = MemberId(path.0.id);
    Ok(respond(StatusCode::OK, state.app.update_member_profile(&who.0, id, input, if_match.as_deref()).await?))
}

/// 挂失: `active` -> `card_lost`.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdPath), request_body = ReasonRequest,
    responses((status = 200, description = "The member", body = MemberView)))]
#[post("/members/{id}/report-lost")]
pub async fn report_lost(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdPath>,
    body: Json<ReasonRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let m = state.app.member_card_action(&who.0, MemberId(path.0.id), CardAction::ReportLost, b.reason, None).await?;
    Ok(respond(StatusCode::OK, m))
}

/// 解挂: `card_lost` -> `active`.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdPath), request_body = ReasonRequest,
    responses((status = 200, description = "The member", body = MemberView)))]
#[post("/members/{id}/unreport-lost")]
pub async fn unreport_lost(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdPath>,
    body: Json<ReasonRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let m = state.app.member_card_action(&who.0, MemberId(path.0.id), CardAction::Unreport, b.reason, None).await?;
    Ok(respond(StatusCode::OK, m))
}

/// 换卡: a new number (the old one is retired, never reused); the member is `active` after.
/// Concurrent actions on one member take turns: each replacement retires the number the one
/// before it gave, so every number handed out is either the member's current one or retired.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdPath), request_body = ReplaceCardRequest,
    responses((status = 200, description = "The member", body = MemberView)))]
#[post("/members/{id}/replace-card")]
pub async fn replace_card(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdPath>,
    body: Json<ReplaceCardRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let m = state.app.member_card_action(&who.0, MemberId(path.0.id), CardAction::Replace, b.reason, b.card_no).await?;
    Ok(respond(StatusCode::OK, m))
}

/// 注销: ends the membership (the card number is retired; history and ledger stay). Of
/// concurrent cancellations one applies; the others answer 409 `member.invalid_transition`.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdPath), request_body = CancelRequest,
    responses((status = 200, description = "The member", body = MemberView)))]
#[post("/members/{id}/cancel")]
pub async fn cancel_member(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdPath>,
    body: Json<CancelRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let m = state.app.member_card_action(&who.0, MemberId(path.0.id), CardAction::Cancel, Some(b.reason), None).await?;
    Ok(respond(StatusCode::OK, m))
}

/// Links an identity in another system (409 `member_identity.taken` when another member of the
/// tenant has it). Linking one the member has already changes nothing.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdPath), request_body = IdentityRequest,
    responses((status = 201, description = "Linked", body = MemberView)))]
#[post("/members/{id}/identities")]
pub async fn link_identity(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdPath>,
    body: Json<IdentityRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let m = state.app.link_member_identity(&who.0, MemberId(path.0.id), &b.source, &b.external_id).await?;
    Ok(respond(StatusCode::CREATED, m))
}

/// Unlinks an identity.
#[utoipa::path(tag = "membership", security(("bearer" = ["members:write"])), params(IdentityPath),
    responses((status = 204, description = "Unlinked")))]
#[delete("/members/{id}/identities/{source}/{external_id}")]
pub async fn unlink_identity(
    state: web::Data<ApiState>,
    who: Allowed<MembersWrite>,
    path: Path<IdentityPath>,
) -> ApiResult<HttpResponse> {
    let p = path.0;
    state.app.unlink_member_identity(&who.0, MemberId(p.id), &p.source, &p.external_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
