//! 入会审批: approving an application creates or links its customer (never a duplicate
//! customer), creates the member with a card number and the entry level, records the level, and
//! writes `member.enrolled` to the outbox, all in one transaction. Rejection records the reason.
//! Bulk decisions answer per application; each application is decided in its own transaction.

use super::application::{ApplicationView, NOT_FOUND, audit_json, check_decidable, not_pending};
use super::cards;
use super::level_changes::{Transition, record_level_change};
use super::levels::entry_level;
use super::person::{person_for, write_person};
use crate::batch::{ItemResult, check_size};
use crate::codes::Code;
use crate::integration::events;
use crate::platform::audit;
use crate::platform::settings::{self, TenantSettings};
use crate::{Access, App, AppError};
use chrono::Utc;
use crm_domain::FieldError;
use crm_domain::customers::Phone;
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{ApplicationId, LevelId, MemberId};
use crm_domain::integration::events::{DomainEvent, EnrollmentApplicationRejectedV1, MemberEnrolledV1};
use crm_domain::membership::{ApplicationStatus, LevelChangeSource};
use crm_store::UniqueKey;
use crm_store::membership::applications::{self as store, Application, ApplicationChanges, CustomerLink, Decision};
use crm_store::membership::members::{self, NewMember};
use crm_store::membership::{levels, person_locks};
use crm_store::{DatabaseTransaction, StoreError};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Choices staff make when approving; all optional, each already checked (`card_no` a card
/// number, `reason` at most 500 characters).
#[derive(Debug, Clone, Default)]
pub struct Approval {
    /// The level to start at (else the entry level).
    pub level_id: Option<LevelId>,
    /// A particular card number (else the next one).
    pub card_no: Option<String>,
    /// The existing customer to link (else found by phone or id number, or created).
    pub customer_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// What a bulk decision did with one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    Approved,
    Rejected,
    Failed,
}

/// The application a bulk decision is about, and for an approval the member it became.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decided {
    pub id: ApplicationId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<MemberId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_no: Option<String>,
}

impl Decided {
    /// Names the application only (a rejection, or a failure).
    pub fn of(id: ApplicationId) -> Self {
        Self { id, member_id: None, card_no: None }
    }
}

fn already_enrolled() -> AppError {
    AppError::Conflict { code: Code::MemberAlreadyEnrolled, field: None }
}

/// Approves `a` inside the caller's transaction (with the card serial `serial` reserved for it,
/// if any); returns the decided application and the member's card number. Locks are taken in one order: the application, the person's keys, the level (shared),
/// then the tenant's counters (the customer's change number, the card serial), which are held to
/// commit and so are taken last, after everything that needs no counter.
pub(crate) async fn approve_in(
    tx: &DatabaseTransaction,
    who: &Access,
    s: &TenantSettings,
    a: Application,
    input: &Approval,
    serial: Option<i64>,
) -> Result<(Application, String), AppError> {
    let tenant = who.tenant_id;
    let reason = parse_text("/reason", input.reason.as_deref(), 500)?;
    check_decidable(&a, s)?;
    let level_id = match input.level_id {
        Some(id) => Some(id),
        None => entry_level(tx, who).await?.map(|l| l.id),
    };
    // Held, so the level cannot be deleted before the member holding it is committed.
    let level = match level_id {
        Some(id) => Some(levels::hold(tx, tenant, id).await?.ok_or_else(|| FieldError::new("/level_id", "not_found"))?),
        None => None,
    };
    // `a` is locked (the caller read it with `lock_scoped`, or inserted it in this transaction)
    // and pending (`check_decidable`): of two racing approvals the second waits for the lock and
    // then reads it decided. The decision is written below, in the one update of the row.
    let phone = a.applicant.valid_phone().map(Phone::e164);
    let keys: Vec<&str> = phone.into_iter().chain(a.applicant.id_number.as_deref()).collect();
    person_locks::lock(tx, tenant, &keys).await?;
    let person = person_for(tx, who, &a, input.customer_id).await?;
    if let Some(before) = &person.before
        && !members::live_matching(tx, tenant, None, None, &[before.id.0]).await?.is_empty()
    {
        return Err(already_enrolled());
    }
    let now = Utc::now();
    let member_id = Uuid::now_v7();
    let level_id = level.as_ref().map(|l| l.id);
    let changes = ApplicationChanges {
        customer: Some(CustomerLink { customer_id: person.after.id.0, owner_id: person.after.owner_id }),
        decision: Some(Decision {
            status: ApplicationStatus::Approved,
            member_id: Some(MemberId(member_id)),
            level_id,
            decided_at: now,
            decided_by: who.actor.id(),
            reason,
        }),
        ..ApplicationChanges::default()
    };
    // `a` is as it was read, pending; the row now is approved, with the decision.
    let row = store::update(tx, tenant, a.id, changes, now).await?;
    let diff = audit::diff(&audit_json(&a), &audit_json(&row));
    audit::record(tx, who, "approve", "enrollment_application", row.id.0, diff).await?;
    let card_no =
        cards::assign(tx, who, s, MemberId(member_id), (input.card_no.as_deref(), "/card_no"), serial).await?;
    let customer_id = person.after.id.0;
    let enrolled = json!({
        "member_id": member_id, "customer_id": customer_id, "card_no": card_no,
        "level_id": level_id, "channel": row.channel, "application_id": row.id,
    });
    audit::record(tx, who, "create", "member", member_id, enrolled.clone()).await?;
    let event = MemberEnrolledV1 {
        member_id,
        customer_id,
        card_no: card_no.clone(),
        level_id: level_id.map(|l| l.0),
        channel: row.channel,
        application_id: Some(row.id.0),
        joined_at: now,
    };
    events::emit(tx, who, DomainEvent::MemberEnrolled(event)).await?;

    // From here to commit the tenant's change counter is held (the customer's change number):
    // only what needs the customer row.
    let customer = write_person(tx, who, person).await?;
    let member = NewMember {
        id: MemberId(member_id),
        customer_id: customer.id.0,
        card_no: card_no.clone(),
        level_id,
        channel: row.channel,
        application_id: Some(row.id),
        created_by: who.actor.id(),
        at: now,
    };
    members::insert(tx, tenant, member).await.map_err(|e| match e {
        e if e.is_conflict_on(UniqueKey::LiveMember) => already_enrolled(),
        e if e.is_conflict_on(UniqueKey::CardNo) => {
            AppError::Conflict { code: Code::CardNumberNotFree, field: Some("/card_no".to_owned()) }
        }
        other => other.into(),
    })?;
    if let Some(l) = &level {
        let t =
            Transition { from: None, to: Some(l.id), source: LevelChangeSource::Enrollment, reason: None, entry: None };
        record_level_change(tx, who, MemberId(member_id), t).await?;
    }
    // The plan's enrollment points, on rows this transaction made (no new lock on others).
    crate::loyalty::points::award_enrollment(tx, who, s, MemberId(member_id), row.channel).await?;
    Ok((row, card_no))
}

async fn reject_in(
    tx: &DatabaseTransaction,
    who: &Access,
    a: Application,
    reason: &str,
) -> Result<Application, AppError> {
    // Locked by the caller (`lock_scoped`): pending now means pending until this commits.
    if a.status != ApplicationStatus::Pending {
        return Err(not_pending());
    }
    let now = Utc::now();
    let decision = Decision {
        status: ApplicationStatus::Rejected,
        member_id: None,
        level_id: None,
        decided_at: now,
        decided_by: who.actor.id(),
        reason: Some(reason.to_owned()),
    };
    let changes = ApplicationChanges { decision: Some(decision), ..ApplicationChanges::default() };
    let row = store::update(tx, who.tenant_id, a.id, changes, now).await?;
    let diff = audit::diff(&audit_json(&a), &audit_json(&row));
    audit::record(tx, who, "reject", "enrollment_application", row.id.0, diff).await?;
    let rejected = EnrollmentApplicationRejectedV1 { application_id: row.id.0, reason: reason.to_owned() };
    events::emit(tx, who, DomainEvent::EnrollmentApplicationRejected(rejected)).await?;
    Ok(row)
}

fn parse_rejection(reason: Option<&str>) -> Result<String, AppError> {
    parse_text("/reason", reason, 500)?.ok_or_else(|| FieldError::new("/reason", "required").into())
}

impl App {
    /// Before an approval's transaction, when it will need an automatic card serial: refuses at
    /// once what cannot be approved as it stands (missing, not pending, incomplete), else
    /// reserves the serial (none when it names a number or the tenant uses a preset pool, and
    /// none on SQLite, where the reservation would be one more turn on the single writer lock;
    /// there nothing is read ahead either). The transaction checks everything again under its
    /// locks.
    async fn serial_for(&self, who: &Access, id: ApplicationId, input: &Approval) -> Result<Option<i64>, AppError> {
        if input.card_no.is_some() || !self.store().writers_run_concurrently() {
            return Ok(None);
        }
        let db = self.store().conn();
        let a = store::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let s = settings::current(db, who).await?;
        check_decidable(&a, &s)?;
        cards::reserve_serial(db, who, &s).await
    }

    /// One approval in its own transaction: the decided application and the member's card number.
    async fn approve_one(
        &self,
        who: &Access,
        id: ApplicationId,
        input: &Approval,
    ) -> Result<(Application, String), AppError> {
        let serial = self.serial_for(who, id, input).await?;
        let tx = self.store().begin_write().await?;
        let a = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let s = settings::current(&tx, who).await?;
        let approved = approve_in(&tx, who, &s, a, input, serial).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(approved)
    }

    async fn reject_one(&self, who: &Access, id: ApplicationId, reason: &str) -> Result<Application, AppError> {
        let tx = self.store().begin_write().await?;
        let a = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let row = reject_in(&tx, who, a, reason).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row)
    }

    pub async fn approve_application(
        &self,
        who: &Access,
        id: ApplicationId,
        input: Approval,
    ) -> Result<ApplicationView, AppError> {
        who.require("enrollment:review")?;
        let (row, _) = self.approve_one(who, id, &input).await?;
        Ok(ApplicationView::new(row, who))
    }

    pub async fn reject_application(
        &self,
        who: &Access,
        id: ApplicationId,
        reason: Option<String>,
    ) -> Result<ApplicationView, AppError> {
        who.require("enrollment:review")?;
        let reason = parse_rejection(reason.as_deref())?;
        Ok(ApplicationView::new(self.reject_one(who, id, &reason).await?, who))
    }

    /// Approves each application in its own transaction, with the same level choice and reason;
    /// results are by the application's index in `ids`.
    pub async fn bulk_approve_applications(
        &self,
        who: &Access,
        ids: &[ApplicationId],
        level_id: Option<LevelId>,
        reason: Option<String>,
    ) -> Result<Vec<ItemResult<DecisionStatus, Decided>>, AppError> {
        who.require("enrollment:review")?;
        check_size("/ids", ids.len())?;
        let reason = parse_text("/reason", reason.as_deref(), 500)?;
        if let Some(l) = level_id {
            levels::find(self.store().conn(), who.tenant_id, l)
                .await?
                .ok_or_else(|| FieldError::new("/level_id", "not_found"))?;
        }
        let input = Approval { level_id, reason, ..Approval::default() };
        let mut out = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            out.push(match self.approve_one(who, *id, &input).await {
                Ok((row, card_no)) => {
                    let decided = Decided { id: *id, member_id: row.member_id, card_no: Some(card_no) };
                    ItemResult::ok(index, DecisionStatus::Approved, decided)
                }
                Err(e) => ItemResult::failed(index, e),
            });
        }
        Ok(out)
    }

    /// Rejects each application in its own transaction, with one reason; results are by the
    /// application's index in `ids`.
    pub async fn bulk_reject_applications(
        &self,
        who: &Access,
        ids: &[ApplicationId],
        reason: Option<String>,
    ) -> Result<Vec<ItemResult<DecisionStatus, Decided>>, AppError> {
        who.require("enrollment:review")?;
        check_size("/ids", ids.len())?;
        let reason = parse_rejection(reason.as_deref())?;
        let mut out = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            out.push(match self.reject_one(who, *id, &reason).await {
                Ok(_) => ItemResult::ok(index, DecisionStatus::Rejected, Decided::of(*id)),
                Err(e) => ItemResult::failed(index, e),
            });
        }
        Ok(out)
    }
}
