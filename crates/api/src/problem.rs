//! Errors as `application/problem+json` (RFC 9457). Every failure becomes an [`ApiError`]: a
//! status, a stable `code`, arguments for the message, and field errors. The text is rendered
//! in the caller's language by [`crate::middleware::problem`], from the catalogue in [`crate::i18n`].

use crate::i18n::{self, Lang};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use crm_app::AppError;
use crm_app::codes::Code;
use crm_domain::FieldErrors;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field in a problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// JSON-pointer-like path of the field (`/items/3/phone`).
    #[schema(example = "/username")]
    pub field: String,
    /// Stable machine code (`required`, `length`, `invalid_type`, ...).
    #[schema(example = "required")]
    pub code: String,
    /// Human-readable message in the negotiated language.
    #[schema(example = "is required")]
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:crm:problem:validation.failed", "title": "Validation failed", "status": 422,
    "detail": "The request has 1 invalid field(s); see errors.", "code": "validation.failed",
    "instance": "/api/v1/auth/login", "request_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c",
    "errors": [{"field": "/username", "code": "required", "message": "is required"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable part: clients branch on this, never on `title` or `detail`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// With `customer.duplicate`: the existing customers the new one matches, and on what.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<DuplicateRef>,
}

/// An existing customer that a new one probably duplicates (the customers context's view).
pub use crm_app::customers::records::DuplicateCandidate as DuplicateRef;

/// A field error before it is rendered in a language.
#[derive(Debug, Clone)]
pub struct FieldIssue {
    pub field: String,
    pub code: String,
    pub params: Vec<(&'static str, String)>,
}

/// An error on its way to becoming a problem response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub args: Vec<(&'static str, String)>,
    pub fields: Vec<FieldIssue>,
    pub headers: Vec<(HeaderName, String)>,
    pub duplicates: Vec<DuplicateRef>,
}

impl ApiError {
    /// The problem `code`, with the status the code table gives it.
    pub fn new(code: Code) -> Self {
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::with_status(status, code)
    }

    /// `code` under a status that came from elsewhere (actix's own errors).
    pub fn with_status(status: StatusCode, code: Code) -> Self {
        Self { status, code, args: Vec::new(), fields: Vec::new(), headers: Vec::new(), duplicates: Vec::new() }
    }

    pub fn arg(mut self, k: &'static str, v: impl ToString) -> Self {
        self.args.push((k, v.to_string()));
        self
    }

    pub fn header(mut self, name: HeaderName, v: impl ToString) -> Self {
        self.headers.push((name, v.to_string()));
        self
    }

    pub fn field(mut self, field: impl Into<String>, code: impl Into<String>) -> Self {
        self.fields.push(FieldIssue { field: field.into(), code: code.into(), params: Vec::new() });
        self
    }

    /// 422 `validation.failed` listing `fields`.
    pub fn validation(fields: Vec<FieldIssue>) -> Self {
        let n = fields.len();
        Self { fields, ..Self::new(Code::ValidationFailed) }.arg("count", n)
    }

    /// The problem document in `lang`.
    pub fn to_problem(&self, lang: Lang, instance: Option<String>, request_id: Option<String>) -> Problem {
        let (title, detail) = match lang {
            Lang::En => self.code.english(),
            Lang::Zh => self.code.chinese(),
        };
        Problem {
            type_: format!("urn:crm:problem:{}", self.code),
            title: title.to_owned(),
            status: self.status.as_u16(),
            detail: i18n::fill(detail, &self.args),
            code: self.code.as_str().to_owned(),
            instance,
            request_id,
            errors: self
                .fields
                .iter()
                .map(|f| FieldProblem {
                    // A field error always names a place; the body itself is `/`.
                    field: if f.field.is_empty() { "/".to_owned() } else { f.field.clone() },
                    code: f.code.clone(),
                    message: i18n::field_message(&f.code, &f.params, lang),
                })
                .collect(),
            duplicates: self.duplicates.clone(),
        }
    }

    /// A rule broken by a query parameter is a 400 `request.invalid_query`, like an unreadable one.
    pub fn in_query(e: AppError) -> Self {
        match e {
            AppError::Invalid(f) => ApiError { fields: field_issues(f), ..ApiError::new(Code::RequestInvalidQuery) },
            other => other.into(),
        }
    }

    /// The response in `lang`.
    pub fn render(&self, lang: Lang, instance: Option<String>, request_id: Option<String>) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        for (k, v) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                res.insert_header((k.clone(), v));
            }
        }
        let body = serde_json::to_vec(&self.to_problem(lang, instance, request_id)).unwrap_or_default();
        res.body(body)
    }

    /// The generic problem for a status that came from somewhere other than our code.
    pub fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            404 => Code::RouteNotFound,
            405 => Code::MethodNotAllowed,
            413 => Code::RequestBodyTooLarge,
            415 => Code::RequestUnsupportedMediaType,
            429 => Code::RateLimited,
            503 => Code::ServiceUnavailable,
            400..=499 => Code::RequestBadRequest,
            _ => Code::InternalError,
        };
        Self::with_status(status, code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// English fallback; the problem middleware re-renders it in the caller's language.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::En, None, None)
    }
}

/// An error with its causes: `storage failed: database error: ...: connection reset`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

fn field_issues(errs: FieldErrors) -> Vec<FieldIssue> {
    errs.0.into_iter().map(|e| FieldIssue { field: e.field, code: e.code.to_owned(), params: e.params }).collect()
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(f) => ApiError::validation(field_issues(f)),
            AppError::NotFound { entity } => ApiError::new(not_found_code(entity)),
            AppError::Conflict { code, field } => {
                let mut e = ApiError::new(code);
                if let Some(f) = field {
                    e = e.field(f, "conflict");
                }
                e
            }
            AppError::Unauthenticated { code } => ApiError::new(code).header(header::WWW_AUTHENTICATE, "Bearer"),
            AppError::Forbidden { code, permission } => {
                ApiError::new(code).arg("permission", permission.unwrap_or_default())
            }
            AppError::Refused { code, field } => {
                let mut e = ApiError::new(code);
                if let Some(f) = field {
                    e = e.field(f, "exceeds_own");
                }
                e
            }
            AppError::RateLimited { code, retry_after_secs } => {
                ApiError::new(code).arg("retry_after", retry_after_secs).header(header::RETRY_AFTER, retry_after_secs)
            }
            AppError::Duplicate { candidates } => {
                ApiError { duplicates: candidates, ..ApiError::new(Code::CustomerDuplicate) }
            }
            AppError::PreconditionFailed => ApiError::new(Code::ResourcePreconditionFailed),
            AppError::Unavailable(reason) => ApiError::new(Code::ServiceUnavailable).arg("reason", reason),
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                ApiError::new(Code::InternalError)
            }
            e @ AppError::Storage(_) => {
                tracing::error!(error = %chain(&e), "internal error");
                ApiError::new(Code::InternalError)
            }
        }
    }
}

fn not_found_code(entity: &'static str) -> Code {
    match entity {
        "user" => Code::UserNotFound,
        "org_unit" => Code::OrgUnitNotFound,
        "position" => Code::PositionNotFound,
        "api_client" => Code::ApiClientNotFound,
        "tenant" => Code::TenantNotFound,
        "customer" => Code::CustomerNotFound,
        "contact" => Code::ContactNotFound,
        "tag" => Code::TagNotFound,
        "custom_field" => Code::CustomFieldNotFound,
        "segment" => Code::SegmentNotFound,
        "member" => Code::MemberNotFound,
        "member_level" => Code::MemberLevelNotFound,
        "member_identity" => Code::MemberIdentityNotFound,
        "enrollment_application" => Code::EnrollmentNotFound,
        "card_number" => Code::CardNumberNotFound,
        "points_plan" => Code::PointsPlanNotFound,
        "purchase" => Code::PurchaseNotFound,
        "carry_over_run" => Code::CarryOverRunNotFound,
        "reward" => Code::RewardNotFound,
        _ => Code::ResourceNotFound,
    }
}
