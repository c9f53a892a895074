//! 入会审批: approving an application creates or links its customer (never a duplicate
//! customer), creates the member with a card number and the entry level, records the level, and
//! writes `member.enrolled` to the outbox, all in one transaction. Rejection records the reason.
//! Bulk decisions answer per application; each application is decided in its own transaction.

use super::applications::{ApplicationView, application_json, completeness};
use super::cards;
use super::levels::entry_level;
use super::members::record_level_change;
use crate::customers::records::{CustomerInput, apply, blank, write_change, write_new};
use crate::platform::settings::{self, TenantSettings};
use crate::platform::{audit, events};
use crate::{Access, App, AppError};
use chrono::Utc;
use crm_domain::FieldError;
use crm_domain::customers::customer::parse_text;
use crm_domain::membership::{ApplicationStatus, LevelChangeSource, MemberStatus};
use crm_store::UniqueKey;
use crm_store::customers::records::{self as customers, Customer as CustomerRow};
use crm_store::membership::applications::{self as store, ApplicationRow};
use crm_store::membership::members::{self, MemberRow};
use crm_store::membership::{levels, person_locks};
use crm_store::scope::ScopeFilter;
use crm_store::{ConnectionTrait, DatabaseTransaction, StoreError};
use serde_json::json;
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "enrollment_application" };
/// The most applications one bulk decision takes.
pub const MAX_BULK: usize = 1000;

/// Choices staff may make when approving; all optional.
#[derive(Debug, Clone, Default)]
pub struct ApproveInput {
    /// The level to start at (else the entry level).
    pub level_id: Option<Uuid>,
    /// A particular card number (else the next one).
    pub card_no: Option<String>,
    /// The existing customer to link (else found by phone or id number, or created).
    pub customer_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// What happened to one application of a bulk decision.
#[derive(Debug)]
pub enum BulkDecision {
    Approved { id: Uuid, member_id: Uuid, card_no: String },
    Rejected { id: Uuid },
    Failed { id: Uuid, error: AppError },
}

fn not_pending() -> AppError {
    AppError::Conflict { code: "enrollment.not_pending", field: None }
}

/// The application's person is a customer the approver may not see (a named one, or the one
/// its phone or id number matches): nothing is created, and the customer is not revealed.
fn out_of_scope() -> AppError {
    AppError::Conflict { code: "enrollment.customer_out_of_scope", field: Some("/customer_id".to_owned()) }
}

pub(crate) fn is_out_of_scope(e: &AppError) -> bool {
    matches!(e, AppError::Conflict { code: "enrollment.customer_out_of_scope", .. })
}

/// Whether the caller's data scope covers the customer.
pub(crate) async fn sees(tx: &impl ConnectionTrait, who: &Access, c: &CustomerRow) -> Result<bool, AppError> {
    Ok(who.scope == ScopeFilter::All || customers::find_scoped(tx, who.tenant_id, &who.scope, c.id).await?.is_some())
}

fn already_enrolled() -> AppError {
    AppError::Conflict { code: "member.already_enrolled", field: None }
}

/// The customer fields an application carries.
fn customer_input(a: &ApplicationRow) -> CustomerInput {
    CustomerInput {
        name: a.name.clone(),
        // Stored as the application's own validation left them (E.164, a gender's string).
        phone: a.phone.as_deref().map(|p| Some(crm_domain::customers::Phone::from_e164(p))),
        email: a.email.clone().map(Some),
        gender: a.gender.as_deref().and_then(|g| crm_domain::customers::Gender::parse("/gender", g).ok()).map(Some),
        birthday: a.birthday.map(Some),
        id_number: a.id_number.clone().map(Some),
        province: a.province.clone().map(Some),
        city: a.city.clone().map(Some),
        district: a.district.clone().map(Some),
        address: a.address.clone().map(Some),
        ..CustomerInput::default()
    }
}

/// The customer the member will be, decided but not written yet: writing a customer takes the
/// tenant's change counter until commit, so the approval writes it as late as it can.
struct Person {
    /// The existing customer as it is (none for a new one).
    before: Option<CustomerRow>,
    /// The customer as it will be written.
    after: CustomerRow,
}

/// The customer the member will be: the one named, the one with the same phone or id number, or
/// a new one. A linked customer gets the application's details where its own are empty. One
/// the approver may not see is refused (`enrollment.customer_out_of_scope`).
async fn person_for(
    tx: &DatabaseTransaction,
    who: &Access,
    a: &ApplicationRow,
    named: Option<Uuid>,
) -> Result<Person, AppError> {
    let tenant = who.tenant_id;
    let existing = match named.or(a.customer_id) {
        Some(id) => Some(
            customers::find(tx, tenant, crm_domain::ids::CustomerId(id))
                .await?
                .filter(|c| c.deleted_at.is_none())
                .ok_or_else(|| FieldError::new("/customer_id", "not_found"))?,
        ),
        None => {
            let mut found = customers::with_key(tx, tenant, a.phone.as_deref(), a.id_number.as_deref(), 2).await?;
            if found.len() > 1 {
                return Err(AppError::Conflict {
                    code: "enrollment.customer_ambiguous",
                    field: Some("/customer_id".to_owned()),
                });
            }
            found.pop()
        }
    };
    if let Some(c) = &existing
        && !sees(tx, who, c).await?
    {
        return Err(out_of_scope());
    }
    match existing {
        Some(before) => {
            let mut input = customer_input(a);
            input.name = None;
            macro_rules! keep_own {
                ($($f:ident),*) => { $( if before.$f.is_some() { input.$f = None; } )* };
            }
            keep_own!(phone, email, gender, birthday, id_number, province, city, district, address);
            let mut after = before.clone();
            apply(&mut after, &input);
            Ok(Person { before: Some(before), after })
        }
        None => {
            let mut row = blank(tenant, who);
            row.source = Some("enrollment".to_owned());
            apply(&mut row, &customer_input(a));
            Ok(Person { before: None, after: row })
        }
    }
}

async fn write_person(tx: &DatabaseTransaction, who: &Access, p: Person) -> Result<CustomerRow, AppError> {
    match p {
        Person { before: Some(before), after } => Ok(write_change(tx, who, before, after, "update").await?.0),
        Person { before: None, after } => write_new(tx, who, after).await,
    }
}

/// Whether `a` can be approved as it stands: pending, with its key information complete.
fn check_decidable(a: &ApplicationRow, s: &TenantSettings) -> Result<(), AppError> {
    if a.status != ApplicationStatus::Pending.as_str() {
        return Err(not_pending());
    }
    if completeness(a, &s.enrollment_required_fields).iter().any(|f| f.blocks_approval()) {
        return Err(AppError::Conflict { code: "enrollment.incomplete", field: None });
    }
    Ok(())
}

/// Approves `a` inside the caller's transaction (with the card serial `serial` reserved for it,
/// if any); returns the decided application and the member's card number. Locks are taken in one order: the application, the person's keys, the level (shared),
/// then the tenant's counters (the customer's change number, the card serial), which are held to
/// commit and so are taken last, after everything that needs no counter.
pub(crate) async fn approve_in(
    tx: &DatabaseTransaction,
    who: &Access,
    s: &TenantSettings,
    a: ApplicationRow,
    input: &ApproveInput,
    serial: Option<i64>,
) -> Result<(ApplicationRow, String), AppError> {
    let tenant = who.tenant_id;
    let reason = parse_text("/reason", input.reason.as_deref(), 500)?;
    check_decidable(&a, s)?;
    let level_id = match input.level_id {
        Some(id) => Some(id),
        None => entry_level(tx, tenant).await?.map(|l| l.id),
    };
    // Held, so the level cannot be deleted before the member holding it is committed.
    let level = match level_id {
        Some(id) => Some(levels::hold(tx, tenant, id).await?.ok_or_else(|| FieldError::new("/level_id", "not_found"))?),
        None => None,
    };
    // Decide the application first: of two racing approvals, the second waits here and then
    // finds it decided.
    if !store::decide_if_pending(tx, tenant, a.id, ApplicationStatus::Approved).await? {
        return Err(not_pending());
    }
    let keys: Vec<&str> = a.phone.iter().chain(a.id_number.iter()).map(String::as_str).collect();
    person_locks::lock(tx, tenant, &keys).await?;
    let person = person_for(tx, who, &a, input.customer_id).await?;
    if let Some(before) = &person.before
        && !members::live_matching(tx, tenant, None, None, &[before.id.0]).await?.is_empty()
    {
        return Err(already_enrolled());
    }
    let now = Utc::now();
    let member_id = Uuid::now_v7();
    // The row as stored now (status approved), with the decision.
    let before = ApplicationRow { status: ApplicationStatus::Approved.as_str().to_owned(), ..a };
    let mut after = before.clone();
    after.customer_id = Some(person.after.id.0);
    after.owner_id = person.after.owner_id.map(|o| o.0);
    after.member_id = Some(member_id);
    after.level_id = level.as_ref().map(|l| l.id);
    after.decided_at = Some(now);
    after.decided_by = who.actor.id();
    after.decision_reason = reason;
    after.updated_at = now;
    let pending = ApplicationRow { status: ApplicationStatus::Pending.as_str().to_owned(), ..before.clone() };
    let diff = audit::diff(&application_json(&pending), &application_json(&after));
    let row = store::update(tx, before, after).await?;
    audit::record(tx, who, "approve", "enrollment_application", row.id, diff).await?;
    let card_no = cards::assign(tx, who, s, member_id, (input.card_no.as_deref(), "/card_no"), serial).await?;
    let customer_id = person.after.id;
    let level_id = level.as_ref().map(|l| l.id);
    let enrolled = json!({
        "member_id": member_id, "customer_id": customer_id, "card_no": card_no,
        "level_id": level_id, "channel": row.channel, "application_id": row.id,
    });
    audit::record(tx, who, "create", "member", member_id, enrolled.clone()).await?;
    events::emit(tx, who, "member.enrolled", "member", member_id, enrolled).await?;

    // From here to commit the tenant's change counter is held (the customer's change number):
    // only what needs the customer row.
    let customer = write_person(tx, who, person).await?;
    let member = MemberRow {
        tenant_id: tenant.0,
        id: member_id,
        customer_id: customer.id.0,
        card_no: card_no.clone(),
        status: MemberStatus::Active.as_str().to_owned(),
        level_id,
        channel: row.channel.clone(),
        application_id: Some(row.id),
        joined_at: now,
        cancelled_at: None,
        cancel_reason: None,
        created_by: who.actor.id(),
        created_at: now,
        updated_at: now,
    };
    members::insert(tx, &member).await.map_err(|e| match e {
        e if e.is_conflict_on(UniqueKey::LiveMember) => already_enrolled(),
        e if e.is_conflict_on(UniqueKey::CardNo) => {
            AppError::Conflict { code: "card_number.not_free", field: Some("/card_no".to_owned()) }
        }
        other => other.into(),
    })?;
    if let Some(l) = &level {
        record_level_change(tx, who, member_id, None, Some(l.id), LevelChangeSource::Enrollment, None).await?;
    }
    Ok((row, card_no))
}

async fn reject_in(
    tx: &DatabaseTransaction,
    who: &Access,
    a: ApplicationRow,
    reason: &str,
) -> Result<ApplicationRow, AppError> {
    if a.status != ApplicationStatus::Pending.as_str()
        || !store::decide_if_pending(tx, who.tenant_id, a.id, ApplicationStatus::Rejected).await?
    {
        return Err(not_pending());
    }
    let now = Utc::now();
    let before = ApplicationRow { status: ApplicationStatus::Rejected.as_str().to_owned(), ..a.clone() };
    let mut after = before.clone();
    after.decided_at = Some(now);
    after.decided_by = who.actor.id();
    after.decision_reason = Some(reason.to_owned());
    after.updated_at = now;
    let diff = audit::diff(&application_json(&a), &application_json(&after));
    let row = store::update(tx, before, after).await?;
    audit::record(tx, who, "reject", "enrollment_application", row.id, diff).await?;
    events::emit(
        tx,
        who,
        "enrollment_application.rejected",
        "enrollment_application",
        row.id,
        json!({"reason": reason}),
    )
    .await?;
    Ok(row)
}

fn parse_rejection(reason: Option<&str>) -> Result<String, AppError> {
    parse_text("/reason", reason, 500)?.ok_or_else(|| FieldError::new("/reason", "required").into())
}

fn check_bulk(ids: &[Uuid]) -> Result<(), AppError> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(FieldError::new("/ids", "range").with("min", 1).with("max", MAX_BULK).into());
    }
    Ok(())
}

impl App {
    /// Before an approval's transaction: refuses at once what cannot be approved as it stands
    /// (missing, not pending, incomplete), else reserves the automatic card serial the approval
    /// will use (none when it names a number or the tenant uses a preset pool, and none on
    /// SQLite, where the reservation would be one more turn on the single writer lock). The
    /// transaction checks everything again under its locks.
    async fn serial_for(&self, who: &Access, id: Uuid, input: &ApproveInput) -> Result<Option<i64>, AppError> {
        let db = self.store().conn();
        let a = store::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let s = settings::load(db, who.tenant_id).await?;
        check_decidable(&a, &s)?;
        if input.card_no.is_some() || !self.store().writers_run_concurrently() {
            return Ok(None);
        }
        cards::reserve_serial(db, who, &s).await
    }

    pub async fn approve_application(
        &self,
        who: &Access,
        id: Uuid,
        input: ApproveInput,
    ) -> Result<ApplicationView, AppError> {
        who.require("enrollment:review")?;
        let serial = self.serial_for(who, id, &input).await?;
        let tx = self.store().begin_write().await?;
        let a = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let s = settings::load(&tx, who.tenant_id).await?;
        let (row, _) = approve_in(&tx, who, &s, a, &input, serial).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApplicationView::new(row, who))
    }

    pub async fn reject_application(
        &self,
        who: &Access,
        id: Uuid,
        reason: Option<String>,
    ) -> Result<ApplicationView, AppError> {
        who.require("enrollment:review")?;
        let reason = parse_rejection(reason.as_deref())?;
        let tx = self.store().begin_write().await?;
        let a = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let row = reject_in(&tx, who, a, &reason).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApplicationView::new(row, who))
    }

    /// Approves each application in its own transaction, with the same level choice and reason.
    pub async fn bulk_approve_applications(
        &self,
        who: &Access,
        ids: &[Uuid],
        level_id: Option<Uuid>,
        reason: Option<String>,
    ) -> Result<Vec<BulkDecision>, AppError> {
        who.require("enrollment:review")?;
        check_bulk(ids)?;
        parse_text("/reason", reason.as_deref(), 500)?;
        if let Some(l) = level_id {
            levels::find(self.store().conn(), who.tenant_id, l)
                .await?
                .ok_or_else(|| FieldError::new("/level_id", "not_found"))?;
        }
        let input = ApproveInput { level_id, reason, ..ApproveInput::default() };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let one = async {
                let serial = self.serial_for(who, *id, &input).await?;
                let tx = self.store().begin_write().await?;
                let a = store::lock_scoped(&tx, who.tenant_id, &who.scope, *id).await?.ok_or(NOT_FOUND)?;
                let s = settings::load(&tx, who.tenant_id).await?;
                let (row, card_no) = approve_in(&tx, who, &s, a, &input, serial).await?;
                tx.commit().await.map_err(StoreError::from)?;
                Ok::<(Uuid, String), AppError>((row.member_id.unwrap_or_default(), card_no))
            };
            out.push(match one.await {
                Ok((member_id, card_no)) => BulkDecision::Approved { id: *id, member_id, card_no },
                Err(error) => BulkDecision::Failed { id: *id, error },
            });
        }
        Ok(out)
    }

    /// Rejects each application in its own transaction, with one reason.
    pub async fn bulk_reject_applications(
        &self,
        who: &Access,
        ids: &[Uuid],
        reason: Option<String>,
    ) -> Result<Vec<BulkDecision>, AppError> {
        who.require("enrollment:review")?;
        check_bulk(ids)?;
        let reason = parse_rejection(reason.as_deref())?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let one = async {
                let tx = self.store().begin_write().await?;
                let a = store::lock_scoped(&tx, who.tenant_id, &who.scope, *id).await?.ok_or(NOT_FOUND)?;
                reject_in(&tx, who, a, &reason).await?;
                tx.commit().await.map_err(StoreError::from)?;
                Ok::<(), AppError>(())
            };
            out.push(match one.await {
                Ok(()) => BulkDecision::Rejected { id: *id },
                Err(error) => BulkDecision::Failed { id: *id, error },
            });
        }
        Ok(out)
    }
}
