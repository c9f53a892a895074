//! Enrollment applications (入会申请): submission from the four channels with the automatic
//! review, the review queue, corrections, and approval or rejection, single and bulk.

use super::ApiResult;
use super::common::{IdPath, nullable, with_etag};
use crate::extract::{Allowed, IfMatch, Json, Path, Query};
use crate::i18n::Lang;
use crate::perm::{EnrollmentRead, EnrollmentReview, EnrollmentSubmit};
use crate::problem::{ApiError, Problem};
use crate::state::ApiState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use crm_app::membership::applications::{ApplicationInput, ApplicationListFilters, ApplicationView};
use crm_app::membership::approval::{ApproveInput, BulkDecision};
use crm_app::paging::{Page, PageRequest};
use crm_domain::membership::Finding;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// A customer by the key a system used in `POST /customers/batch-upsert`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerKey {
    #[schema(min_length = 1, max_length = 64)]
    pub source: String,
    #[schema(min_length = 1, max_length = 128)]
    pub external_id: String,
}

/// An application. On submission `channel` is required, and `purchase` applications must name
/// their customer (`customer` or `customer_id`). On a correction (`PATCH`) absent fields stay,
/// `null` clears, and `channel`, `source` and `external_id` cannot be given.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "online", "name": "王芳", "phone": "13912345678", "source": "member-site", "external_id": "A-20261201-0001"}))]
pub struct ApplicationFields {
    /// `onsite`, `online`, `purchase` or `import`.
    pub channel: Option<String>,
    /// The submitting system's name; with `external_id`, a retry returns the first application.
    #[schema(max_length = 64)]
    pub source: Option<String>,
    #[schema(max_length = 128)]
    pub external_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub name: Option<Option<String>>,
    /// Any usual notation. An invalid number is kept and reported as the `invalid_phone` finding.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    /// `male`, `female`, `other` or `unknown`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
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
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub notes: Option<Option<String>>,
    /// The existing customer the application is for.
    pub customer_id: Option<Uuid>,
    /// The customer the application is for, by a system's key (the sales system's buyer).
    pub customer: Option<CustomerKey>,
}

fn input(f: ApplicationFields) -> ApplicationInput {
    ApplicationInput {
        name: f.name,
        phone: f.phone,
        email: f.email,
        gender: f.gender,
        birthday: f.birthday,
        id_number: f.id_number,
        province: f.province,
        city: f.city,
        district: f.district,
        address: f.address,
        notes: f.notes,
        customer_id: f.customer_id,
        customer: f.customer.map(|k| (k.source, k.external_id)),
        channel: f.channel,
        source: f.source,
        external_id: f.external_id,
    }
}

/// One review finding.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingResponse {
    /// `missing_field`, `invalid_phone`, `duplicate_application` or `already_member`.
    pub code: String,
    /// The field concerned (`/phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The other pending application (`duplicate_application`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Uuid>,
    /// The existing member (`already_member`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<Uuid>,
}

impl From<Finding> for FindingResponse {
    fn from(f: Finding) -> Self {
        Self { code: f.code, field: f.field, application_id: f.application_id, member_id: f.member_id }
    }
}

/// The automatic review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewResponse {
    /// Nothing found.
    pub clean: bool,
    pub findings: Vec<FindingResponse>,
}

/// An application. `id_number` and a valid `phone` are masked unless the caller holds `customers:read_pii`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    pub id: Uuid,
    pub channel: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub id_number: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub customer_id: Option<Uuid>,
    pub member_id: Option<Uuid>,
    pub level_id: Option<Uuid>,
    pub review: ReviewResponse,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ApplicationView> for ApplicationResponse {
    fn from(a: ApplicationView) -> Self {
        Self {
            id: a.id,
            channel: a.channel,
            status: a.status,
            name: a.name,
            phone: a.phone,
            email: a.email,
            gender: a.gender,
            birthday: a.birthday,
            id_number: a.id_number,
            province: a.province,
            city: a.city,
            district: a.district,
            address: a.address,
            notes: a.notes,
            source: a.source,
            external_id: a.external_id,
            customer_id: a.customer_id,
            member_id: a.member_id,
            level_id: a.level_id,
            review: ReviewResponse { clean: a.clean, findings: a.findings.into_iter().map(Into::into).collect() },
            decided_at: a.decided_at,
            decided_by: a.decided_by,
            decision_reason: a.decision_reason,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationResponse>,
    pub next_cursor: Option<String>,
}

impl From<Page<ApplicationView>> for ApplicationPage {
    fn from(p: Page<ApplicationView>) -> Self {
        Self { items: p.items.into_iter().map(Into::into).collect(), next_cursor: p.next_cursor }
    }
}

/// Queue filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationParams {
    /// `pending`, `approved` or `rejected`.
    pub status: Option<String>,
    /// `onsite`, `online`, `purchase` or `import`.
    pub channel: Option<String>,
    /// Applications whose review found this (`missing_field`, `invalid_phone`, `duplicate_application`, `already_member`).
    pub finding: Option<String>,
    /// `true`: the review found nothing; `false`: it found something.
    pub clean: Option<bool>,
    /// A name (or its beginning) or a phone number.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Choices when approving; all optional.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"level_id": null, "card_no": null, "reason": "资料齐全"}))]
pub struct ApproveRequest {
    /// The level to start at (default: the lowest level).
    pub level_id: Option<Uuid>,
    /// A particular card number (default: the next one of the tenant's card mode).
    pub card_no: Option<String>,
    /// The existing customer to link (default: the customer with the same phone or id number, or a new one).
    pub customer_id: Option<Uuid>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
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
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<Uuid>,
    pub level_id: Option<Uuid>,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Reject many.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRejectRequest {
    /// 1 to 1000 application ids.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<Uuid>,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The result for one application of a bulk decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionItem {
    pub index: usize,
    pub id: Uuid,
    /// `approved`, `rejected` or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Per-application results, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionResponse {
    pub items: Vec<BulkDecisionItem>,
}

fn respond(status: StatusCode, a: ApplicationView) -> HttpResponse {
    let etag = a.etag();
    with_etag(status, &ApplicationResponse::from(a), &etag)
}

fn bulk_response(req: &HttpRequest, outcomes: Vec<BulkDecision>) -> BulkDecisionResponse {
    let lang = Lang::from_headers(req.headers());
    let instance = Some(req.path().to_owned());
    let items = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, o)| match o {
            BulkDecision::Approved { id, member_id, card_no } => BulkDecisionItem {
                index,
                id,
                status: "approved",
                member_id: Some(member_id),
                card_no: Some(card_no),
                error: None,
            },
            BulkDecision::Rejected { id } => {
                BulkDecisionItem { index, id, status: "rejected", member_id: None, card_no: None, error: None }
            }
            BulkDecision::Failed { id, error } => BulkDecisionItem {
                index,
                id,
                status: "failed",
                member_id: None,
                card_no: None,
                error: Some(ApiError::from(error).to_problem(lang, instance.clone(), None)),
            },
        })
        .collect();
    BulkDecisionResponse { items }
}

/// Submits an application; the automatic review runs at once and its findings come back in
/// `review`. 201 for a new application; 200 with the first one when `source` + `external_id`
/// were submitted before (a retry; 409 `enrollment.external_id_taken` when that one is outside
/// the caller's data scope). A `customer_id` or `customer` outside the caller's data scope is
/// refused exactly like a missing one (422 `not_found`). Approved at once when the tenant auto-approves the channel
/// and the review is clean.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:submit"])), request_body = ApplicationFields,
    responses((status = 201, description = "Submitted", body = ApplicationResponse),
        (status = 200, description = "Submitted before under the same source and external_id", body = ApplicationResponse)))]
#[post("/enrollment-applications")]
pub async fn submit_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentSubmit>,
    body: Json<ApplicationFields>,
) -> ApiResult<HttpResponse> {
    let s = state.app.submit_application(&who.0, input(body.into_inner()?)).await?;
    let status = if s.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok(respond(status, s.application))
}

/// 批量导入: applications from a spreadsheet or another system.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"name": "李雷", "phone": "13712345678", "source": "excel-2026-12", "external_id": "row-2"}]}))]
pub struct ImportRequest {
    /// 1 to 1000 applications (the fields of `POST /enrollment-applications`; `channel` defaults to `import`).
    #[validate(length(min = 1, max = 1000))]
    #[schema(value_type = Vec<ApplicationFields>, min_items = 1, max_items = 1000)]
    pub items: Vec<serde_json::Value>,
}

/// The result for one imported application.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportItem {
    pub index: usize,
    /// `created`, `replayed` (submitted before under the same `source` + `external_id`) or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<ApplicationResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Per-item results, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub items: Vec<ImportItem>,
}

/// Imports applications in bulk; each is reviewed (and auto-approved where the tenant says so)
/// on its own and answered in `items`. One bad item never rejects the others.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:submit"])), request_body = ImportRequest,
    responses((status = 200, description = "Per-item results", body = ImportResponse)))]
#[post("/enrollment-applications/batch")]
pub async fn import_applications(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentSubmit>,
    body: Json<ImportRequest>,
) -> ApiResult<web::Json<ImportResponse>> {
    let lang = Lang::from_headers(req.headers());
    let instance = Some(req.path().to_owned());
    let problem = |e: ApiError| Some(e.to_problem(lang, instance.clone(), None));
    let b = body.into_inner()?;
    let mut failed = Vec::new();
    let mut good = Vec::new();
    for (i, v) in b.items.into_iter().enumerate() {
        match crate::extract::parse_json_value::<ApplicationFields>(v, &format!("/items/{i}")) {
            Ok(f) => good.push((i, input(f))),
            Err(e) => failed.push(ImportItem { index: i, status: "failed", application: None, error: problem(e) }),
        }
    }
    let done = if good.is_empty() { Vec::new() } else { state.app.import_applications(&who.0, good).await? };
    let mut items: Vec<ImportItem> = done
        .into_iter()
        .map(|(index, r)| match r {
            Ok(s) => ImportItem {
                index,
                status: if s.replayed { "replayed" } else { "created" },
                application: Some(s.application.into()),
                error: None,
            },
            Err(e) => ImportItem { index, status: "failed", application: None, error: problem(ApiError::from(e)) },
        })
        .chain(failed)
        .collect();
    items.sort_by_key(|it| it.index);
    Ok(web::Json(ImportResponse { items }))
}

/// The review queue, oldest first, within the caller's data scope: an application is visible
/// when the scope covers its submitter or the owner of its linked customer; one with neither (the
/// website's or an API client's, not linked yet) only to a tenant-wide scope. Outside a
/// tenant-wide scope the review findings say that a duplicate application or a member exists,
/// without its id.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:read"])), params(ApplicationParams),
    responses((status = 200, description = "A page of applications", body = ApplicationPage)))]
#[get("/enrollment-applications")]
pub async fn list_applications(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentRead>,
    q: Query<ApplicationParams>,
) -> ApiResult<web::Json<ApplicationPage>> {
    let q = q.0;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(ApiError::in_query)?;
    let f = ApplicationListFilters { status: q.status, channel: q.channel, finding: q.finding, clean: q.clean, q: q.q };
    Ok(web::Json(state.app.list_applications(&who.0, f, page).await.map_err(ApiError::in_query)?.into()))
}

/// One application.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:read"])), params(IdPath),
    responses((status = 200, description = "The application", body = ApplicationResponse)))]
#[get("/enrollment-applications/{id}")]
pub async fn get_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentRead>,
    path: Path<IdPath>,
) -> ApiResult<HttpResponse> {
    Ok(respond(StatusCode::OK, state.app.get_application(&who.0, path.0.id).await?))
}

/// Corrects a pending application (409 `enrollment.not_pending` once decided) and reviews it
/// again. Honours `If-Match`.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), params(IdPath), request_body = ApplicationFields,
    responses((status = 200, description = "Corrected and reviewed", body = ApplicationResponse)))]
#[patch("/enrollment-applications/{id}")]
pub async fn update_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    path: Path<IdPath>,
    if_match: IfMatch,
    body: Json<ApplicationFields>,
) -> ApiResult<HttpResponse> {
    let i = input(body.into_inner()?);
    Ok(respond(StatusCode::OK, state.app.update_application(&who.0, path.0.id, i, if_match.as_deref()).await?))
}

/// Approves: links the customer with the same phone or id number (or creates one), creates the
/// member with a card number and the entry level, and writes `member.enrolled` to the outbox.
/// 409: `enrollment.not_pending`, `enrollment.incomplete`, `member.already_enrolled`,
/// `card_number.pool_empty`, `card_number.not_free`, `enrollment.customer_ambiguous`,
/// `enrollment.customer_out_of_scope` (the customer named in `customer_id`, or the one with the
/// application's phone or id number, is outside the approver's data scope: nothing is created
/// and the customer is not shown). Applications outside the caller's data scope answer 404.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), params(IdPath), request_body = ApproveRequest,
    responses((status = 200, description = "Approved", body = ApplicationResponse)))]
#[post("/enrollment-applications/{id}/approve")]
pub async fn approve_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    path: Path<IdPath>,
    body: Json<ApproveRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    let i = ApproveInput { level_id: b.level_id, card_no: b.card_no, customer_id: b.customer_id, reason: b.reason };
    Ok(respond(StatusCode::OK, state.app.approve_application(&who.0, path.0.id, i).await?))
}

/// Rejects with a reason.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), params(IdPath), request_body = RejectRequest,
    responses((status = 200, description = "Rejected", body = ApplicationResponse)))]
#[post("/enrollment-applications/{id}/reject")]
pub async fn reject_application(
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    path: Path<IdPath>,
    body: Json<RejectRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner()?;
    Ok(respond(StatusCode::OK, state.app.reject_application(&who.0, path.0.id, Some(b.reason)).await?))
}

/// Approves many; each application is decided on its own and answered in `items`.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), request_body = BulkApproveRequest,
    responses((status = 200, description = "Per-application results", body = BulkDecisionResponse)))]
#[post("/enrollment-applications/bulk-approve")]
pub async fn bulk_approve(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    body: Json<BulkApproveRequest>,
) -> ApiResult<web::Json<BulkDecisionResponse>> {
    let b = body.into_inner()?;
    let out = state.app.bulk_approve_applications(&who.0, &b.ids, b.level_id, b.reason).await?;
    Ok(web::Json(bulk_response(&req, out)))
}

/// Rejects many with one reason; each application is answered in `items`.
#[utoipa::path(tag = "membership", security(("bearer" = ["enrollment:review"])), request_body = BulkRejectRequest,
    responses((status = 200, description = "Per-application results", body = BulkDecisionResponse)))]
#[post("/enrollment-applications/bulk-reject")]
pub async fn bulk_reject(
    req: HttpRequest,
    state: web::Data<ApiState>,
    who: Allowed<EnrollmentReview>,
    body: Json<BulkRejectRequest>,
) -> ApiResult<web::Json<BulkDecisionResponse>> {
    let b = body.into_inner()?;
    let out = state.app.bulk_reject_applications(&who.0, &b.ids, Some(b.reason)).await?;
    Ok(web::Json(bulk_response(&req, out)))
}
