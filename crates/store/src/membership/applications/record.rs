//! An enrollment application as the store gives it and takes it: the record, the new row, a
//! change, and their conversion from and to the `enrollment_applications` columns.

use crate::StoreError;
use crate::entities::enrollment_applications as ea;
use crate::stored::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::customers::{Gender, Phone};
use crm_domain::ids::{ApplicationId, LevelId, MemberId, UserId};
use crm_domain::membership::{Applicant, ApplicantPhone, ApplicationStatus, Channel, ExternalKey, Finding};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// An enrollment application as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    pub channel: Channel,
    pub status: ApplicationStatus,
    pub applicant: Applicant,
    /// The submitting system's key for it.
    pub key: Option<ExternalKey>,
    pub customer_id: Option<Uuid>,
    /// The owner of the linked customer (from a prefill or the approval).
    pub owner_id: Option<UserId>,
    pub member_id: Option<MemberId>,
    pub level_id: Option<LevelId>,
    /// The automatic review's findings.
    pub findings: Vec<Finding>,
    /// Whether the review found nothing.
    pub clean: bool,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_by: Option<Uuid>,
    /// The user who submitted it (none for API clients and the website).
    pub submitted_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The customer an application is for, and that customer's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerLink {
    pub customer_id: Uuid,
    pub owner_id: Option<UserId>,
}

/// A new, pending application (clean when it has no findings).
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub id: ApplicationId,
    pub channel: Channel,
    pub applicant: Applicant,
    pub key: Option<ExternalKey>,
    pub customer: Option<CustomerLink>,
    pub findings: Vec<Finding>,
    pub created_by: Option<Uuid>,
    pub submitted_by: Option<UserId>,
    pub at: DateTime<Utc>,
}

/// A change of an application; absent parts stay. The status changes only with a
/// [`Decision`], written by a transaction that holds the row's lock (`lock_scoped`).
#[derive(Debug, Clone, Default)]
pub struct ApplicationChanges {
    pub applicant: Option<Applicant>,
    pub customer: Option<CustomerLink>,
    /// A new review (clean when it found nothing).
    pub findings: Option<Vec<Finding>>,
    pub decision: Option<Decision>,
}

/// What a decision records.
#[derive(Debug, Clone)]
pub struct Decision {
    /// `approved` or `rejected`.
    pub status: ApplicationStatus,
    pub member_id: Option<MemberId>,
    pub level_id: Option<LevelId>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub reason: Option<String>,
}

impl TryFrom<ea::Model> for Application {
    type Error = StoreError;

    fn try_from(m: ea::Model) -> Result<Self, StoreError> {
        let phone = match (m.phone, m.phone_raw) {
            (Some(p), _) => Some(ApplicantPhone::Valid(Phone::from_e164(&p))),
            (None, Some(raw)) => Some(ApplicantPhone::Invalid(raw)),
            (None, None) => None,
        };
        let gender = m.gender.as_deref().map(|g| parse_stored("gender", g, Gender::parse)).transpose()?;
        let findings: Vec<Finding> =
            serde_json::from_str(&m.findings).map_err(|e| StoreError::Db(sea_orm::DbErr::Json(e.to_string())))?;
        Ok(Self {
            id: ApplicationId(m.id),
            channel: parse_stored("channel", &m.channel, Channel::parse)?,
            status: parse_stored("status", &m.status, ApplicationStatus::parse)?,
            applicant: Applicant {
                name: m.name,
                phone,
                email: m.email,
                gender,
                birthday: m.birthday,
                id_number: m.id_number,
                province: m.province,
                city: m.city,
                district: m.district,
                address: m.address,
                notes: m.notes,
            },
            key: m.source.zip(m.external_id).map(|(source, external_id)| ExternalKey { source, external_id }),
            customer_id: m.customer_id,
            owner_id: m.owner_id.map(UserId),
            member_id: m.member_id.map(MemberId),
            level_id: m.level_id.map(LevelId),
            findings,
            clean: m.clean,
            decided_at: m.decided_at,
            decided_by: m.decided_by,
            decision_reason: m.decision_reason,
            created_by: m.created_by,
            submitted_by: m.submitted_by.map(UserId),
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

pub(super) fn set_applicant(am: &mut ea::ActiveModel, a: Applicant) {
    let (phone, phone_raw) = match a.phone {
        Some(ApplicantPhone::Valid(p)) => (Some(p.e164().to_owned()), None),
        Some(ApplicantPhone::Invalid(raw)) => (None, Some(raw)),
        None => (None, None),
    };
    am.name = Set(a.name);
    am.phone = Set(phone);
    am.phone_raw = Set(phone_raw);
    am.email = Set(a.email);
    am.gender = Set(a.gender.map(|g| g.as_str().to_owned()));
    am.birthday = Set(a.birthday);
    am.id_number = Set(a.id_number);
    am.province = Set(a.province);
    am.city = Set(a.city);
    am.district = Set(a.district);
    am.address = Set(a.address);
    am.notes = Set(a.notes);
}

pub(super) fn set_findings(am: &mut ea::ActiveModel, findings: &[Finding]) -> Result<(), StoreError> {
    let json = serde_json::to_string(findings).map_err(|e| StoreError::Db(sea_orm::DbErr::Json(e.to_string())))?;
    am.findings = Set(json);
    am.clean = Set(findings.is_empty());
    Ok(())
}

pub(super) fn set_customer(am: &mut ea::ActiveModel, link: Option<CustomerLink>) {
    am.customer_id = Set(link.map(|l| l.customer_id));
    am.owner_id = Set(link.and_then(|l| l.owner_id).map(|o| o.0));
}
