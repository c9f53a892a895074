//! The enrollment application as callers see it, and what the use cases on applications share
//! (submission and correction in `applications`, decisions in `approval`): the view with its
//! masking, the audit form, and the checks before a decision.

use crate::codes::Code;
use crate::customers::records::PII;
use crate::platform::settings::TenantSettings;
use crate::{Access, AppError, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::Gender;
use crm_domain::customers::customer::mask_id_number;
use crm_domain::ids::{ApplicationId, LevelId, MemberId};
use crm_domain::membership::{ApplicantPhone, ApplicationStatus, Channel, Finding};
use crm_store::ConnectionTrait;
use crm_store::customers::records::{self as customers, Customer as CustomerRow};
use crm_store::membership::applications::Application;
use crm_store::scope::ScopeFilter;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

pub(crate) const NOT_FOUND: AppError = AppError::NotFound { entity: "enrollment_application" };

/// The automatic review.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    /// Nothing found.
    pub clean: bool,
    pub findings: Vec<Finding>,
}

/// An application. `id_number` and a valid `phone` are masked unless the caller holds `customers:read_pii`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    pub id: ApplicationId,
    pub channel: Channel,
    pub status: ApplicationStatus,
    pub name: Option<String>,
    /// E.164 when valid; as given when not (then the review reports `invalid_phone`).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<Gender>,
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
    pub member_id: Option<MemberId>,
    pub level_id: Option<LevelId>,
    pub review: Review,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationView {
    pub(crate) fn new(r: Application, who: &Access) -> Self {
        let pii = who.permissions.contains(PII);
        let clean = r.clean;
        let mut findings = r.findings;
        if who.scope != ScopeFilter::All {
            // The other application or member may be outside the caller's scope: say that there
            // is one, not which.
            for f in &mut findings {
                f.application_id = None;
                f.member_id = None;
            }
        }
        let a = r.applicant;
        let (source, external_id) = r.key.map(|k| (k.source, k.external_id)).unzip();
        Self {
            id: r.id,
            channel: r.channel,
            status: r.status,
            name: a.name,
            phone: a.phone.map(|p| match p {
                ApplicantPhone::Valid(p) if pii => p.e164().to_owned(),
                ApplicantPhone::Valid(p) => p.masked(),
                ApplicantPhone::Invalid(raw) if pii => raw,
                ApplicantPhone::Invalid(raw) => mask_raw(&raw),
            }),
            email: a.email,
            gender: a.gender,
            birthday: a.birthday,
            id_number: a.id_number.map(|i| if pii { i } else { mask_id_number(&i) }),
            province: a.province,
            city: a.city,
            district: a.district,
            address: a.address,
            notes: a.notes,
            source,
            external_id,
            customer_id: r.customer_id,
            member_id: r.member_id,
            level_id: r.level_id,
            review: Review { clean, findings },
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            decision_reason: r.decision_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    pub fn etag(&self) -> String {
        etag::of(self.updated_at)
    }
}

/// A phone as given that is not a valid number, masked but for its last two characters.
fn mask_raw(raw: &str) -> String {
    let n = raw.chars().count();
    raw.chars().enumerate().map(|(i, c)| if i + 2 < n { '*' } else { c }).collect()
}

/// The audit form of an application (personal data masked).
pub(crate) fn audit_json(r: &Application) -> serde_json::Value {
    let a = &r.applicant;
    let phone = a.phone.as_ref().map(|p| match p {
        ApplicantPhone::Valid(p) => p.masked(),
        ApplicantPhone::Invalid(raw) => mask_raw(raw),
    });
    let findings = serde_json::to_string(&r.findings).unwrap_or_default();
    json!({
        "status": r.status, "name": a.name, "phone": phone,
        "email": a.email, "gender": a.gender, "birthday": a.birthday,
        "id_number": a.id_number.as_deref().map(mask_id_number),
        "province": a.province, "city": a.city, "district": a.district, "address": a.address, "notes": a.notes,
        "customer_id": r.customer_id, "member_id": r.member_id, "level_id": r.level_id,
        "clean": r.clean, "findings": findings, "decision_reason": r.decision_reason,
    })
}

pub(crate) fn not_pending() -> AppError {
    AppError::Conflict { code: Code::EnrollmentNotPending, field: None }
}

/// Whether `a` can be approved as it stands: pending, with its key information complete.
pub(crate) fn check_decidable(a: &Application, s: &TenantSettings) -> Result<(), AppError> {
    if a.status != ApplicationStatus::Pending {
        return Err(not_pending());
    }
    if a.applicant.completeness(&s.enrollment_required_fields).iter().any(Finding::blocks_approval) {
        return Err(AppError::Conflict { code: Code::EnrollmentIncomplete, field: None });
    }
    Ok(())
}

/// The application's person is a customer the approver may not see (a named one, or the one
/// its phone or id number matches): nothing is created, and the customer is not revealed.
pub(crate) fn out_of_scope() -> AppError {
    AppError::Conflict { code: Code::EnrollmentCustomerOutOfScope, field: Some("/customer_id".to_owned()) }
}

pub(crate) fn is_out_of_scope(e: &AppError) -> bool {
    matches!(e, AppError::Conflict { code: Code::EnrollmentCustomerOutOfScope, .. })
}

/// Whether the caller's data scope covers the customer.
pub(crate) async fn sees(c: &impl ConnectionTrait, who: &Access, cu: &CustomerRow) -> Result<bool, AppError> {
    Ok(who.scope == ScopeFilter::All || customers::find_scoped(c, who.tenant_id, &who.scope, cu.id).await?.is_some())
}
