//! Enrollment applications (入会申请): submission from the four channels with the automatic
//! review, the review queue, corrections, and approval or rejection, single and bulk.

use super::super::ApiResult;
use super::super::batch::keyed;
use super::super::batch::{BatchResponse, respond as batch_respond};
use super::super::common::{IdPath, IfMatchHeader, with_etag};
use super::application_fields::{ApplicationCreate, ApplicationUpdate};
use crate::extract::{Allowed, IfMatch, Json, Path, Query, parse_json_value};
use crate::perm::{EnrollmentRead, EnrollmentReview, EnrollmentSubmit};
use crate::problem::ApiError;
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use crm_app::AppError;
use crm_app::batch::check_size;
use crm_app::membership::application::ApplicationView;
use crm_app::membership::applications::{ApplicationQuery, Correction, ImportStatus, Imported, Submission};
use crm_app::membership::approval::{Approval, Decided, DecisionStatus};
use crm_app::paging::{Page, PageRequest};
use crm_domain::FieldErrors;
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{ApplicationId, LevelId};
use crm_domain::membership::card::parse_card_no;
use crm_domain::membership::{ApplicationStatus, Channel, FindingCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Queue filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationParams {
    #[param(value_type = Option<ApplicationStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<Channel>)]
    pub channel: Option<String>,
    /// Applications whose review found this.
    #[param(value_type = Option<FindingCode>)]
    pub finding: Option<String>,
    /// `true`: the review found nothing; `false`: it found something.
    pub clean: Option<bool>,
    /// A name (or its beginning) or a phone number.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl TryFrom<&ApplicationParams> for ApplicationQuery {
    type Error = FieldErrors;

    fn try_from(p: &ApplicationParams) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let status = p.status.as_deref().and_then(|s| errs.check(ApplicationStatus::parse("/status", s)));
        let channel = p.channel.as_deref().and_then(|c| errs.check(Channel::parse("/channel", c)));
        let finding = p.finding.as_deref().and_then(|c| errs.check(FindingCode::parse("/finding", c)));
        errs.into_result()?;
        Ok(ApplicationQuery { status, channel, finding, clean: p.clean, q: p.q.clone() })
    }
}

/// Choices when approving; all optional.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"level_id": null, "card_no": null, "reason": "资料齐全"}))]
pub struct ApproveRequest {
    /// The level to start at (default: the lowest level).
    pub level_id: Option<LevelId>,
    /// A particular card number (default: the next one of the tenant's card mode).
    #[schema(min_length = 1, max_length = 32)]
    pub card_no: Option<String>,
    /// The existing customer to link (default: the customer with the same phone or id number, or a new one).
    pub customer_id: Option<uuid::Uuid>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl TryFrom<ApproveRequest> for Approval {
    type Error = FieldErrors;

    fn try_from(b: ApproveRequest) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let card_no = b.card_no.as_deref().and_then(|c| errs.check(parse_card_no("/card_no", c)));
        let reason = errs.check(parse_text("/reason", b.reason.as_deref(), 500)).flatten();
        errs.into_result()?;
        Ok(Approval { level_id: b.level_id, card_no, customer_id: b.customer_id, reason })
    }
}

/// A rejection.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "重复申请"}))]
pub struct RejectRequest {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Approve many.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkApproveRequest {
    /// 1 to 1000 application ids.
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<ApplicationId>,
    pub level_id: Option<LevelId>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Reject many.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRejectRequest {
    /// 1 to 1000 application ids.
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<ApplicationId>,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// 批量导入: applications from a spreadsheet or another system.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"name": "李雷", "phone": "13712345678", "source": "excel-2026-12", "external_id": "row-2"}]}))]
pub struct ImportRequest {
    /// 1 to 1000 applications, each as `POST /enrollment-applications` takes it, except that
    /// `channel` may be left out and is then `import`.
    #[schema(value_type = Vec<ApplicationCreate>, min_items = 1, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

/// Per-item results of an import, in the order of the request.
pub type ImportResponse = BatchResponse<ImportStatus, Imported>;
/// Per-application results of a bulk decision, in the order of the request.
pub type BulkDecisionResponse = BatchResponse<DecisionStatus, Decided>;

fn respond(status: StatusCode, a: ApplicationView) -> HttpResponse {
    with_etag(status, &a, &a.etag())
}

fn invalid(e: FieldErrors) -> ApiError {
    ApiError::from(AppError::Invalid(e))
}

/// Every failed item of a bulk decision names its application.
fn decided(r: BulkDecisionResponse, ids: &[ApplicationId]) -> BulkDecisionResponse {
    keyed(r, |i| ids.get(i).copied().map(Decided::of))
}

/// Submits an application; the automatic review runs at once and its findings come back in
/// `review`. 201 for a new application; 200 with the first one when `source` + `external_id`
/// were submitted before (a retry; 409 `enrollment.external_id_taken` when that one is outside
/// the caller's data scope). A `customer_id` or `customer` outside the caller's data scope is
/// refused exactly like a missing one (422 `not_found`). Approved at once when the tenant auto-approves the channel
/// and the review is clean.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:submit"])), request_body = ApplicationCreate,
    responses((status = 201, description = "Submitted", body = ApplicationView),
        (status = 200, description = "Submitted before under the same source and external_id", body = ApplicationView)))]
#[post("/enrollment-applications")]
pub async fn submit_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentSubmit>,
    body: Json<ApplicationCreate>,
) -> ApiResult<HttpResponse> {
    let submission = Submission::try_from(body.into_inner()?).map_err(invalid)?;
    let s = state.app.submit_application(&who.0, submission).await?;
    let status = if s.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok(respond(status, s.application))
}

/// Imports applications in bulk; each is reviewed (and auto-approved where the tenant says so)
/// on its own and answered in `items`: `created`, `replayed` (submitted before under the same
/// `source` + `external_id`) or `failed`. One bad item never rejects the others.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:submit"])), request_body = ImportRequest,
    responses((status = 200, description = "Per-item results", body = BatchResponse<ImportStatus, Imported>)))]
#[post("/enrollment-applications/batch")]
pub async fn import_applications(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentSubmit>,
    body: Json<ImportRequest>,
) -> ApiResult<web::Json<ImportResponse>> {
    let b = body.into_inner()?;
    check_size("/items", b.items.len())?;
    let mut unreadable = Vec::new();
    let mut good = Vec::new();
    for (i, v) in b.items.into_iter().enumerate() {
        let at = format!("/items/{i}");
        let read = parse_json_value::<ApplicationCreate>(v, &at).and_then(|f| {
            f.into_submission(Some(Channel::Import))
                .map_err(|e| invalid(FieldErrors(e.0.into_iter().map(|f| f.under(&at)).collect())))
        });
        match read {
            Ok(s) => good.push((i, s)),
            Err(e) => unreadable.push((i, e)),
        }
    }
    let done = if good.is_empty() { Vec::new() } else { state.app.import_applications(&who.0, good).await? };
    Ok(web::Json(batch_respond(&req, unreadable, done)))
}

/// The review queue, oldest first, within the caller's data scope: an application is visible
/// when the scope covers its submitter or the owner of its linked customer; one with neither (the
/// website's or an API client's, not linked yet) only to a tenant-wide scope. Outside a
/// tenant-wide scope the review findings say that a duplicate application or a member exists,
/// without its id.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:read"])), params(ApplicationParams),
    responses((status = 200, description = "A page of applications", body = Page<ApplicationView>)))]
#[get("/enrollment-applications")]
pub async fn list_applications(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentRead>,
    q: Query<ApplicationParams>,
) -> ApiResult<web::Json<Page<ApplicationView>>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = ApplicationQuery::try_from(&q).map_err(|e| ApiError::in_query(e.into()))?;
    Ok(web::Json(state.app.list_applications(&who.0, f, page).await.map_err(ApiError::in_query)?))
}

/// One application.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:read"])), params(IdPath),
    responses((status = 200, description = "The application", body = ApplicationView)))]
#[get("/enrollment-applications/{id}")]
pub async fn get_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_application(&who.0, ApplicationId(path.0.id)).await?))
}

/// Corrects a pending application (409 `enrollment.not_pending` once decided) and reviews it
/// again.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), params(IdPath, IfMatchHeader),
    request_body = ApplicationUpdate,
    responses((status = 200, description = "Corrected and reviewed", body = ApplicationView)))]
#[patch("/enrollment-applications/{id}")]
pub async fn update_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<ApplicationUpdate>,
) -> ApiResult<HttpResponse> {
    let c = Correction::try_from(body.into_inner()?).map_err(invalid)?;
    let id = ApplicationId(path.0.id);
    Ok(respond(StatusCode::OK, state.app.update_application(&who.0, id, c, if_match.as_deref()).await?))
}

/// Approves: links the customer with the same phone or id number (or creates one), creates the
/// member with a card number and the entry level, and writes `member.enrolled` to the outbox.
/// 409: `enrollment.not_pending`, `enrollment.incomplete`, `member.already_enrolled`,
/// `card_number.pool_empty`, `card_number.not_free`, `enrollment.customer_ambiguous`,
/// `enrollment.customer_out_of_scope` (the customer named in `customer_id`, or the one with the
/// application's phone or id number, is outside the approver's data scope: nothing is created
/// and the customer is not shown). Applications outside the caller's data scope answer 404.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), params(IdPath), request_body = ApproveRequest,
    responses((status = 200, description = "Approved", body = ApplicationView)))]
#[post("/enrollment-applications/{id}/approve")]
pub async fn approve_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    path: Path<IdPath>,
    body: Json<ApproveRequest>,
) -> ApiResult<HttpResponse> {
    let approval = Approval::try_from(body.into_inner()?).map_err(invalid)?;
    let a = state.app.approve_application(&who.0, ApplicationId(path.0.id), approval).await?;
    Ok(respond(StatusCode::OK, a))
}

/// Rejects with a reason.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), params(IdPath), request_body = RejectRequest,
    responses((status = 200, description = "Rejected", body = ApplicationView)))]
#[post("/enrollment-applications/{id}/reject")]
pub async fn reject_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    path: Path<IdPath>,
    body: Json<RejectRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let a = state.app.reject_application(&who.0, ApplicationId(path.0.id), Some(b.reason)).await?;
    Ok(respond(StatusCode::OK, a))
}

/// Approves many; each application is decided on its own and answered in `items`: `approved`
/// (with the member and its card number) or `failed`.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), request_body = BulkApproveRequest,
    responses((status = 200, description = "Per-application results", body = BatchResponse<DecisionStatus, Decided>)))]
#[post("/enrollment-applications/bulk-approve")]
pub async fn bulk_approve(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    body: Json<BulkApproveRequest>,
) -> ApiResult<web::Json<BulkDecisionResponse>> {
    let b = body.into_inner()?;
    let out = state.app.bulk_approve_applications(&who.0, &b.ids, b.level_id, b.reason).await?;
    Ok(web::Json(decided(batch_respond(&req, Vec::new(), out), &b.ids)))
}

/// Rejects many with one reason; each application is answered in `items`: `rejected` or `failed`.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), request_body = BulkRejectRequest,
    responses((status = 200, description = "Per-application results", body = BatchResponse<DecisionStatus, Decided>)))]
#[post("/enrollment-applications/bulk-reject")]
pub async fn bulk_reject(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    body: Json<BulkRejectRequest>,
) -> ApiResult<web::Json<BulkDecisionResponse>> {
    let b = body.into_inner()?;
    let out = state.app.bulk_reject_applications(&who.0, &b.ids, Some(b.reason)).await?;
    Ok(web::Json(decided(batch_respond(&req, Vec::new(), out), &b.ids)))
}
