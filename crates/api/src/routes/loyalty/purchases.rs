//! Purchases from the sales system (购房/消费记录), their payments, refunds and cancellation.

use super::super::ApiResult;
use super::super::common::IdPath;
use crate::extract::{Allowed, Json, Path, Query};
use crate::perm::{PointsRead, PurchasesWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use crm_app::AppError;
use crm_app::loyalty::purchases::{MemberRef, PaymentInput, PurchaseFilter, PurchaseInput, PurchaseView, Recorded};
use crm_app::paging::{Page, PageRequest};
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{MemberId, PurchaseId};
use crm_domain::loyalty::Money;
use crm_domain::loyalty::purchase::{PurchaseStatus, parse_currency, parse_key};
use crm_domain::{FieldError, FieldErrors, limits};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// The member of a purchase: exactly one of `id`, `card_no`, `phone`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRefRequest {
    pub id: Option<Uuid>,
    /// A current card number.
    pub card_no: Option<String>,
    /// The member's phone (one live member must have it).
    pub phone: Option<String>,
}

/// A purchase pushed by the sales system.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "source": "sales_office", "external_id": "HT-2026-000123", "member": {"card_no": "M00000128"},
    "amount": "1280000.00", "currency": "CNY", "occurred_at": "2026-12-04T10:30:00+08:00",
    "description": "3 号楼 1202 室认购"
}))]
pub struct PurchaseCreate {
    /// The pushing system's name.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 64)]
    pub source: Option<String>,
    /// The purchase's id in that system; with `source`, the push's idempotency key.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 128)]
    pub external_id: Option<String>,
    #[schema(value_type = MemberRefRequest, required = true)]
    pub member: Option<MemberRefRequest>,
    /// A decimal string with at most two places.
    #[schema(value_type = String, required = true, example = "1280000.00")]
    pub amount: Option<String>,
    /// Default `CNY`.
    #[schema(example = "CNY")]
    pub currency: Option<String>,
    /// When it happened; its day in the tenant's time zone decides the plan.
    #[schema(value_type = DateTime<Utc>, required = true)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// A payment (or refund) of a purchase.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_id": "PAY-2026-88812", "amount": "640000.00", "paid_at": "2026-12-05T09:00:00+08:00"}))]
pub struct PaymentCreate {
    /// The payment's id in the sales system; a retry with the same id and body answers the
    /// purchase as it is, another body is 409 `payment.external_id_reused`.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 128)]
    pub external_id: Option<String>,
    #[schema(value_type = String, required = true, example = "640000.00")]
    pub amount: Option<String>,
    #[schema(value_type = DateTime<Utc>, required = true)]
    pub paid_at: Option<DateTime<Utc>>,
}

/// A partial refund.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"external_id": "RF-2026-0007", "amount": "10000.00", "refunded_at": "2026-12-06T09:00:00+08:00", "reason": "车位退订"}))]
pub struct RefundCreate {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 128)]
    pub external_id: Option<String>,
    #[schema(value_type = String, required = true, example = "10000.00")]
    pub amount: Option<String>,
    #[schema(value_type = DateTime<Utc>, required = true)]
    pub refunded_at: Option<DateTime<Utc>>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Why a purchase is cancelled.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "退房"}))]
pub struct CancelRequest {
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Purchase list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PurchaseParams {
    pub member_id: Option<Uuid>,
    #[param(value_type = Option<PurchaseStatus>)]
    pub status: Option<String>,
    pub source: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from(AppError::Invalid(e))
}

fn required<T>(errs: &mut FieldErrors, field: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        errs.push(FieldError::new(field, "required"));
    }
    v
}

fn member_ref(errs: &mut FieldErrors, m: MemberRefRequest) -> Option<MemberRef> {
    match (m.id, m.card_no, m.phone) {
        (Some(id), None, None) => Some(MemberRef::Id(MemberId(id))),
        (None, Some(c), None) => Some(MemberRef::CardNo(c)),
        (None, None, Some(p)) => Some(MemberRef::Phone(p)),
        _ => {
            errs.push(FieldError::new("/member", "exactly_one").with("fields", "id, card_no, phone"));
            None
        }
    }
}

impl TryFrom<PurchaseCreate> for PurchaseInput {
    type Error = FieldErrors;

    fn try_from(b: PurchaseCreate) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let source = required(&mut errs, "/source", b.source.as_deref())
            .and_then(|s| errs.check(parse_key("/source", s, limits::SOURCE)));
        let external_id = required(&mut errs, "/external_id", b.external_id.as_deref())
            .and_then(|s| errs.check(parse_key("/external_id", s, limits::EXTERNAL_ID)));
        let member = required(&mut errs, "/member", b.member).and_then(|m| member_ref(&mut errs, m));
        let amount =
            required(&mut errs, "/amount", b.amount.as_deref()).and_then(|a| errs.check(Money::parse("/amount", a)));
        if amount.is_some_and(Money::is_negative) {
            errs.push(FieldError::new("/amount", "range").with("min", "0.00"));
        }
        let currency = errs.check(parse_currency("/currency", b.currency.as_deref()));
        let occurred_at = required(&mut errs, "/occurred_at", b.occurred_at);
        let description =
            errs.check(parse_text("/description", b.description.as_deref(), limits::PURCHASE_DESCRIPTION)).flatten();
        errs.into_result()?;
        match (source, external_id, member, amount, currency, occurred_at) {
            (Some(source), Some(external_id), Some(member), Some(amount), Some(currency), Some(occurred_at)) => {
                Ok(PurchaseInput { source, external_id, member, amount, currency, occurred_at, description })
            }
            _ => Err(FieldError::new("/source", "required").into()),
        }
    }
}

fn payment_input(
    external_id: Option<String>,
    amount: Option<String>,
    at: Option<DateTime<Utc>>,
    at_field: &str,
) -> Result<PaymentInput, FieldErrors> {
    let mut errs = FieldErrors::default();
    let external_id = required(&mut errs, "/external_id", external_id.as_deref())
        .and_then(|s| errs.check(parse_key("/external_id", s, limits::EXTERNAL_ID)));
    let amount = required(&mut errs, "/amount", amount.as_deref()).and_then(|a| errs.check(Money::parse("/amount", a)));
    let at = required(&mut errs, at_field, at);
    errs.into_result()?;
    match (external_id, amount, at) {
        (Some(external_id), Some(amount), Some(at)) => Ok(PaymentInput { external_id, amount, at }),
        _ => Err(FieldError::new("/external_id", "required").into()),
    }
}

fn respond(created: StatusCode, r: Recorded) -> HttpResponse {
    let status = if r.replayed { StatusCode::OK } else { created };
    HttpResponse::build(status).json(r.purchase)
}

/// Records a purchase; its points are `pending` until it is paid as the plan item requires. The
/// member is named by `id`, `card_no` or `phone` (422 `not_found` at that field when none, or
/// `member_cancelled`). 201 for a new purchase; 200 with the purchase recorded first when the same
/// `source` + `external_id` is pushed again with the same body (a retry); 409
/// `purchase.external_id_reused` with a different body. A purchase on a day no plan covers is
/// recorded without points.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["purchases:write"])), request_body = PurchaseCreate,
    responses((status = 201, description = "Recorded", body = PurchaseView),
        (status = 200, description = "Pushed before with the same body", body = PurchaseView)))]
#[post("/purchases")]
pub async fn record_purchase(
    state: web::Data<ApiState>,
    who: Allowed<PurchasesWrite>,
    body: Json<PurchaseCreate>,
) -> ApiResult<HttpResponse> {
    let input = PurchaseInput::try_from(body.into_inner()?).map_err(invalid)?;
    Ok(respond(StatusCode::CREATED, state.app.record_purchase(&who.0, input).await?))
}

/// Records a payment. When the payments reach what the plan item requires (`paid_in_full`: the
/// amount net of refunds; `first_payment`: any), the pending points are matched by available
/// ones (once). 201 with the purchase; 200 when this `external_id` was recorded before with the
/// same body; 409 `payment.external_id_reused` with another; 409 `purchase.cancelled`. The path
/// names the purchase by the id its push answered: a payment for a purchase not yet pushed is 404
/// `purchase.not_found` (push the purchase, then retry the payment).
#[utoipa::path(tag = "loyalty", security(("bearer" = ["purchases:write"])), params(IdPath), request_body = PaymentCreate,
    responses((status = 201, description = "Recorded; the purchase now", body = PurchaseView),
        (status = 200, description = "Recorded before with the same body", body = PurchaseView)))]
#[post("/purchases/{id}/payments")]
pub async fn record_payment(
    state: web::Data<ApiState>,
    who: Allowed<PurchasesWrite>,
    path: Path<IdPath>,
    body: Json<PaymentCreate>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let input = payment_input(b.external_id, b.amount, b.paid_at, "/paid_at").map_err(invalid)?;
    Ok(respond(StatusCode::CREATED, state.app.record_payment(&who.0, PurchaseId(path.0.id), input).await?))
}

/// Records a partial refund: the purchase's points follow its amount net of refunds, and the
/// difference is reversed from where it is (pending or available). 409
/// `purchase.refund_exceeds_amount` beyond the amount; idempotent by `external_id` like payments.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["purchases:write"])), params(IdPath), request_body = RefundCreate,
    responses((status = 201, description = "Recorded; the purchase now", body = PurchaseView),
        (status = 200, description = "Recorded before with the same body", body = PurchaseView)))]
#[post("/purchases/{id}/refunds")]
pub async fn record_refund(
    state: web::Data<ApiState>,
    who: Allowed<PurchasesWrite>,
    path: Path<IdPath>,
    body: Json<RefundCreate>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let reason = parse_text("/reason", b.reason.as_deref(), limits::POINTS_REASON).map_err(|e| invalid(e.into()))?;
    let input = payment_input(b.external_id, b.amount, b.refunded_at, "/refunded_at").map_err(invalid)?;
    Ok(respond(StatusCode::CREATED, state.app.record_refund(&who.0, PurchaseId(path.0.id), input, reason).await?))
}

/// Cancels the purchase: whatever it credited, pending or available, is reversed (a member whose
/// points were spent meanwhile goes negative and is flagged, never clamped). Cancelling again
/// answers the cancelled purchase.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["purchases:write"])), params(IdPath), request_body = CancelRequest,
    responses((status = 200, description = "Cancelled", body = PurchaseView)))]
#[post("/purchases/{id}/cancel")]
pub async fn cancel_purchase(
    state: web::Data<ApiState>,
    who: Allowed<PurchasesWrite>,
    path: Path<IdPath>,
    body: Json<CancelRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let reason = parse_text("/reason", b.reason.as_deref(), limits::POINTS_REASON).map_err(|e| invalid(e.into()))?;
    Ok(respond(StatusCode::OK, state.app.cancel_purchase(&who.0, PurchaseId(path.0.id), reason).await?))
}

/// One purchase, with its payments and refunds.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath),
    responses((status = 200, description = "The purchase", body = PurchaseView)))]
#[get("/purchases/{id}")]
pub async fn get_purchase(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<PurchaseView>> {
    Ok(web::Json(state.app.get_purchase(&who.0, PurchaseId(path.0.id)).await?))
}

/// Purchases within the caller's data scope (through their members), newest first.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(PurchaseParams),
    responses((status = 200, description = "A page of purchases", body = Page<PurchaseView>)))]
#[get("/purchases")]
pub async fn list_purchases(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    q: Query<PurchaseParams>,
) -> ApiResult<web::Json<Page<PurchaseView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let status = q
        .status
        .as_deref()
        .map(|s| PurchaseStatus::parse("/status", s))
        .transpose()
        .map_err(|e| ApiError::in_query(AppError::from(e)))?;
    let filter = PurchaseFilter { member_id: q.member_id.map(MemberId), status, source: q.source };
    Ok(web::Json(state.app.list_purchases(&who.0, filter, page).await?))
}
