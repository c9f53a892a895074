//! A member's points and ledger; manual and activity points, single and batch; the ledger check.

use super::super::ApiResult;
use super::super::batch::{BatchResponse, ItemStatus, respond as batch_respond};
use super::super::common::IdPath;
use crate::extract::{Allowed, Json, Path, Query, parse_json_value};
use crate::perm::{LedgerCheck as LedgerCheckPerm, PointsRead, PointsWrite};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use crm_app::AppError;
use crm_app::batch::check_size;
use crm_app::loyalty::check::LedgerCheck;
use crm_app::loyalty::points::{EntryStatusOfRequest, EntryView, EntryWritten, ManualEntry, PointsView};
use crm_app::paging::{Page, PageRequest};
use crm_domain::ids::{MemberId, PointsPlanId};
use crm_domain::loyalty::PointsKind;
use crm_domain::loyalty::ledger::{EntryStatus, SourceType};
use crm_domain::loyalty::purchase::parse_key;
use crm_domain::{FieldError, FieldErrors, limits};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

impl ItemStatus for EntryStatusOfRequest {
    const FAILED: Self = EntryStatusOfRequest::Failed;
}

/// Ledger filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntryParams {
    #[param(value_type = Option<PointsKind>)]
    pub kind: Option<String>,
    #[param(value_type = Option<EntryStatus>)]
    pub status: Option<String>,
    pub plan_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Manual, activity, referral or birthday points for one member.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "kind": "reward", "delta": 200,
    "reason": "业主答谢会签到", "source_type": "activity", "source_id": "event-2026-05-01:0193f0c4"
}))]
pub struct EntryCreate {
    #[schema(value_type = Uuid, required = true)]
    pub member_id: Option<Uuid>,
    #[schema(value_type = PointsKind, required = true)]
    pub kind: Option<String>,
    /// Points to credit (negative: to debit; refused below zero with 409 `points.insufficient`).
    /// May be left out for `activity`, `referral` and `birthday` when the day's plan has an item
    /// of that category: its points of `kind` apply.
    #[schema(minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub delta: Option<i64>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500)]
    pub reason: Option<String>,
    /// `activity`, `manual`, `referral` or `birthday`.
    #[schema(value_type = SourceType, required = true)]
    pub source_type: Option<String>,
    /// What the points are for in the caller's terms (an activity and participant, an adjustment
    /// ticket); with `source_type` and `kind` it credits at most once.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 160)]
    pub source_id: Option<String>,
    /// The business date (default today in the tenant's time zone); it decides the plan.
    pub occurred_on: Option<NaiveDate>,
}

impl TryFrom<EntryCreate> for ManualEntry {
    type Error = FieldErrors;

    fn try_from(b: EntryCreate) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let mut required = |field: &'static str, present: bool| {
            if !present {
                errs.push(FieldError::new(field, "required"));
            }
        };
        required("/member_id", b.member_id.is_some());
        required("/kind", b.kind.is_some());
        required("/reason", b.reason.is_some());
        required("/source_type", b.source_type.is_some());
        required("/source_id", b.source_id.is_some());
        let kind = b.kind.as_deref().and_then(|k| errs.check(PointsKind::parse("/kind", k)));
        let source_type = b.source_type.as_deref().and_then(|s| errs.check(SourceType::parse("/source_type", s)));
        let source_id =
            b.source_id.as_deref().and_then(|s| errs.check(parse_key("/source_id", s, limits::POINTS_SOURCE_ID)));
        let reason = b.reason.as_deref().and_then(|r| errs.check(parse_key("/reason", r, limits::POINTS_REASON)));
        errs.into_result()?;
        match (b.member_id, kind, reason, source_type, source_id) {
            (Some(m), Some(kind), Some(reason), Some(source_type), Some(source_id)) => Ok(ManualEntry {
                member_id: MemberId(m),
                kind,
                delta: b.delta,
                reason,
                source_type,
                source_id,
                occurred_on: b.occurred_on,
            }),
            _ => Err(FieldError::new("/member_id", "required").into()),
        }
    }
}

/// Many manual or activity entries.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBatch {
    /// 1 to 1000 entries, each as `POST /points/entries` takes it.
    #[schema(value_type = Vec<EntryCreate>, min_items = 1, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

/// Per-item results of a batch, in the order of the request.
pub type EntryBatchResponse = BatchResponse<EntryStatusOfRequest, EntryWritten>;

/// The ledger check of the caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerCheckResponse {
    /// `true` when every balance equals the sum of its entries.
    pub ok: bool,
    #[serde(flatten)]
    pub check: LedgerCheck,
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from(AppError::Invalid(e))
}

/// The member's points per kind (`reward`, `upgrade`): `available` and `pending`, over every plan
/// and per plan, and whether a balance is negative. Always the sum of the member's entries.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath),
    responses((status = 200, description = "The balances", body = PointsView)))]
#[get("/members/{id}/points")]
pub async fn member_points(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
) -> ApiResult<web::Json<PointsView>> {
    Ok(web::Json(state.app.member_points(&who.0, MemberId(path.0.id)).await?))
}

/// The member's ledger, newest first: each entry with its kind, status, delta, plan, source and
/// reason (a purchase's entries state the rule that priced them).
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:read"])), params(IdPath, EntryParams),
    responses((status = 200, description = "A page of entries", body = Page<EntryView>)))]
#[get("/members/{id}/points/entries")]
pub async fn member_entries(
    state: web::Data<ApiState>,
    who: Allowed<PointsRead>,
    path: Path<IdPath>,
    q: Query<EntryParams>,
) -> ApiResult<web::Json<Page<EntryView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let mut errs = FieldErrors::default();
    let kind = q.kind.as_deref().and_then(|k| errs.check(PointsKind::parse("/kind", k)));
    let status = q.status.as_deref().and_then(|s| errs.check(EntryStatus::parse("/status", s)));
    errs.into_result().map_err(|e| ApiError::in_query(e.into()))?;
    let filter = crm_app::loyalty::points::EntryFilter { kind, status, plan_id: q.plan_id.map(PointsPlanId) };
    Ok(web::Json(state.app.member_points_entries(&who.0, MemberId(path.0.id), filter, page).await?))
}

/// Credits or debits points by hand or for an activity. 201 with the entry; 200 with the first
/// entry when the same `source_type`, `source_id` and `kind` were written before with the same
/// member, delta and reason (a retry); 409 `points.source_reused` when with another; 409
/// `points.insufficient` for a debit below zero.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:write"])), request_body = EntryCreate,
    responses((status = 201, description = "Written", body = EntryView),
        (status = 200, description = "Written before by the same source", body = EntryView)))]
#[post("/points/entries")]
pub async fn add_entry(
    state: web::Data<ApiState>,
    who: Allowed<PointsWrite>,
    body: Json<EntryCreate>,
) -> ApiResult<HttpResponse> {
    let input = ManualEntry::try_from(body.into_inner()?).map_err(invalid)?;
    let (status, entry) = state.app.add_points_entry(&who.0, input).await?;
    let code = if status == EntryStatusOfRequest::Replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok(HttpResponse::build(code).json(entry))
}

/// Many entries, written in one transaction with a savepoint per item, and answered in `items`:
/// `credited`, `replayed` (written before by the same source) or `failed`. One bad item never
/// rejects the others.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["points:write"])), request_body = EntryBatch,
    responses((status = 200, description = "Per-item results", body = BatchResponse<EntryStatusOfRequest, EntryWritten>)))]
#[post("/points/entries/batch")]
pub async fn add_entries(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<PointsWrite>,
    body: Json<EntryBatch>,
) -> ApiResult<web::Json<EntryBatchResponse>> {
    let b = body.into_inner()?;
    check_size("/items", b.items.len())?;
    let total = b.items.len();
    let (mut unreadable, mut good) = (Vec::new(), Vec::new());
    for (i, v) in b.items.into_iter().enumerate() {
        let at = format!("/items/{i}");
        let read = parse_json_value::<EntryCreate>(v, &at)
            .and_then(|e| ManualEntry::try_from(e).map_err(|e| ApiError::from(AppError::Invalid(e).under(&at))));
        match read {
            Ok(m) => good.push((i, m)),
            Err(e) => unreadable.push((i, e)),
        }
    }
    let done = if good.is_empty() { Vec::new() } else { state.app.add_points_entries(&who.0, good, total).await? };
    Ok(web::Json(batch_respond(&req, unreadable, done)))
}

/// Verifies every points balance of the tenant against the sum of its ledger entries and lists
/// the differences (none is ever repaired by the check). `crm ledger check` does the same for
/// every tenant from the command line.
#[utoipa::path(tag = "loyalty", security(("bearer" = ["ledger:check"])),
    responses((status = 200, description = "What the check found", body = LedgerCheckResponse)))]
#[post("/ledger/check")]
pub async fn check_ledger(
    state: web::Data<ApiState>,
    who: Allowed<LedgerCheckPerm>,
) -> ApiResult<web::Json<LedgerCheckResponse>> {
    let check = state.app.check_ledger(&who.0).await?;
    Ok(web::Json(LedgerCheckResponse { ok: check.differences.is_empty(), check }))
}
