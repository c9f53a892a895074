//! The card-number pool (会员卡号管理): batch creation by prefix and serial width, special numbers
//! one by one, the pool list, and deleting unused numbers.

use super::super::ApiResult;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{CardNumbersRead, CardNumbersWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::{HttpResponse, delete, get, post, web};
use crm_app::membership::cards::{BatchCreated, CardQuery, CardView};
use crm_app::paging::Page;
use crm_domain::membership::CardStatus;
use crm_domain::{FieldError, FieldErrors};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// 批量新增: `count` numbers `prefix` + serial (zero-padded to `serial_width`) from `start`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"prefix": "VIP", "serial_width": 6, "start": 1, "count": 1000}))]
pub struct CardBatchRequest {
    /// 0 to 8 letters or digits (digits only with `check_digit`).
    #[schema(max_length = 8)]
    pub prefix: String,
    /// 3 to 16 digits.
    #[schema(minimum = 3, maximum = 16)]
    pub serial_width: i64,
    #[schema(minimum = 0)]
    pub start: i64,
    /// 1 to 100,000; the last serial must fit the width.
    #[schema(minimum = 1, maximum = 100_000)]
    pub count: i64,
    /// Append a Luhn check digit.
    #[serde(default)]
    pub check_digit: bool,
}

/// A special number.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"card_no": "VIP888888", "reserved": true}))]
pub struct CardNumberRequest {
    /// 1 to 32 letters, digits or dashes (stored uppercase).
    #[schema(min_length = 1, max_length = 32)]
    pub card_no: String,
    /// Given only by name (on approval or replacement), never as "the next free number".
    #[serde(default)]
    pub reserved: bool,
}

/// Pool filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CardNumberParams {
    #[param(value_type = Option<CardStatus>)]
    pub status: Option<String>,
    pub reserved: Option<bool>,
    /// Numbers beginning with this.
    pub prefix: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl TryFrom<CardNumberParams> for CardQuery {
    type Error = FieldError;

    fn try_from(q: CardNumberParams) -> Result<Self, FieldError> {
        let status = q.status.as_deref().map(|s| CardStatus::parse("/status", s)).transpose()?;
        Ok(CardQuery { status, reserved: q.reserved, prefix: q.prefix, limit: q.limit, cursor: q.cursor })
    }
}

/// A card number in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CardNoPath {
    pub card_no: String,
}

/// Creates free numbers in bulk; numbers that exist already are skipped, never duplicated.
#[utoipa::path(tag = "membership", security(("bearer" = ["card_numbers:write"])), request_body = CardBatchRequest,
    responses((status = 201, description = "Created", body = BatchCreated)))]
#[post("/card-numbers/batch")]
pub async fn create_batch(
    state: web::Data<ApiState>,
    who: Allowed<CardNumbersWrite>,
    body: Json<CardBatchRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let r = state.app.create_card_batch(&who.0, &b.prefix, b.serial_width, b.start, b.count, b.check_digit).await?;
    Ok(HttpResponse::Created().json(r))
}

/// Adds one special number (409 `card_number.taken` when it exists in any state).
#[utoipa::path(tag = "membership", security(("bearer" = ["card_numbers:write"])), request_body = CardNumberRequest,
    responses((status = 201, description = "Created", body = CardView)))]
#[post("/card-numbers")]
pub async fn add_card_number(
    state: web::Data<ApiState>,
    who: Allowed<CardNumbersWrite>,
    body: Json<CardNumberRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let c = state.app.add_card_number(&who.0, &b.card_no, b.reserved).await?;
    Ok(HttpResponse::Created().json(c))
}

/// The pool, in card-number order.
#[utoipa::path(tag = "membership", security(("bearer" = ["card_numbers:read"])), params(CardNumberParams),
    responses((status = 200, description = "A page of card numbers, in card-number order", body = Page<CardView>)))]
#[get("/card-numbers")]
pub async fn list_card_numbers(
    state: web::Data<ApiState>,
    who: Allowed<CardNumbersRead>,
    q: Query<CardNumberParams>,
) -> ApiResult<web::Json<Page<CardView>>> {
    let p = CardQuery::try_from(q.0).map_err(|e| ApiError::in_query(FieldErrors::from(e).into()))?;
    Ok(web::Json(state.app.list_card_numbers(&who.0, p).await.map_err(ApiError::in_query)?))
}

/// Deletes an unused number (409 `card_number.in_use` once it was ever assigned).
#[utoipa::path(tag = "membership", security(("bearer" = ["card_numbers:write"])), params(CardNoPath),
    responses((status = 204, description = "Deleted")))]
#[delete("/card-numbers/{card_no}")]
pub async fn delete_card_number(
    state: web::Data<ApiState>,
    who: Allowed<CardNumbersWrite>,
    path: Path<CardNoPath>,
) -> ApiResult<HttpResponse> {
    state.app.delete_card_number(&who.0, &path.0.card_no).await?;
    Ok(HttpResponse::NoContent().finish())
}
