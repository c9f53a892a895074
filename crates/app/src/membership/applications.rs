//! 入会申请: applications from the four channels, the automatic review (missing key information,
//! an invalid phone, a duplicate pending application, an existing membership) stored with each
//! application, the review queue, and corrections that re-run the review. A system that sends its
//! own `source` + `external_id` can retry a submission safely: the first application is returned.

use super::application::{ApplicationView, NOT_FOUND, audit_json, is_out_of_scope, not_pending, sees};
use super::approval::{Approval, approve_in};
use crate::batch::{ItemResult, MAX_ITEMS, check_size};
use crate::codes::Code;
use crate::integration::events;
use crate::paging::{Page, PageRequest};
use crate::platform::{audit, settings};
use crate::{Access, Actor, App, AppError, etag};
use chrono::Utc;
use crm_domain::FieldError;
use crm_domain::customers::Phone;
use crm_domain::ids::ApplicationId;
use crm_domain::integration::events::{DomainEvent, EnrollmentApplicationSubmittedV1};
use crm_domain::membership::review::{Facts, review};
use crm_domain::membership::{
    Applicant, ApplicantPatch, ApplicationStatus, Channel, ExternalKey, Finding, FindingCode,
};
use crm_store::Insertion;
use crm_store::customers::records::{self as customers, Customer as CustomerRow};
use crm_store::membership::applications::{
    self as store, Application, ApplicationChanges, ApplicationFilter, CustomerLink, NewApplication,
};
use crm_store::membership::members;
use crm_store::{ConnectionTrait, StoreError, TransactionTrait};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The customer an application is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    /// By id.
    Id(Uuid),
    /// By the key a system used in its batch upsert.
    Key { source: String, external_id: String },
}

/// 提交入会申请: a new application. A `purchase` one names its customer.
#[derive(Debug, Clone)]
pub struct Submission {
    pub channel: Channel,
    pub applicant: Applicant,
    pub customer: Option<CustomerRef>,
    /// The submitting system's own key for it.
    pub key: Option<ExternalKey>,
}

/// A correction of a pending application: the applicant's fields (absent ones stay), and the
/// customer it is for.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    pub applicant: ApplicantPatch,
    pub customer: Option<CustomerRef>,
}

/// A submission's answer: the application, and whether it is one submitted before under the
/// same `source` + `external_id` (a retry).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub application: ApplicationView,
    pub replayed: bool,
}

/// What an import did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Created,
    /// Submitted before under the same `source` + `external_id`.
    Replayed,
    Failed,
}

/// The application an imported item became.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imported {
    /// Absent when the item failed.
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub application: ApplicationView,
}

/// Queue filters.
#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery {
    pub status: Option<ApplicationStatus>,
    pub channel: Option<Channel>,
    /// Applications whose review found this.
    pub finding: Option<FindingCode>,
    pub clean: Option<bool>,
    /// A name (or its beginning) or a phone number.
    pub q: Option<String>,
}

/// Runs the whole review of an application as it will be stored.
async fn run_review(
    c: &impl ConnectionTrait,
    who: &Access,
    id: ApplicationId,
    a: &Applicant,
    customer: Option<Uuid>,
) -> Result<Vec<Finding>, AppError> {
    let s = settings::current(c, who).await?;
    let tenant = who.tenant_id;
    let (phone, id_number) = (a.valid_phone().map(Phone::e164), a.id_number.as_deref());
    let customers: Vec<Uuid> = customer.into_iter().collect();
    let facts = Facts {
        pending_duplicates: store::pending_with_key(c, tenant, phone, id_number, id).await?,
        members: members::live_matching(c, tenant, phone, id_number, &customers)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect(),
        ..a.facts()
    };
    Ok(review(&facts, &s.enrollment_required_fields))
}

/// The live customer an application names (by id or by a system's key; a merged customer
/// resolves to the one it was merged into).
async fn named_customer(c: &impl ConnectionTrait, who: &Access, named: &CustomerRef) -> Result<CustomerRow, AppError> {
    let (mut found, field) = match named {
        CustomerRef::Id(id) => {
            (customers::find(c, who.tenant_id, crm_domain::ids::CustomerId(*id)).await?, "/customer_id")
        }
        CustomerRef::Key { source, external_id } => {
            (customers::find_external(c, who.tenant_id, source, external_id).await?, "/customer")
        }
    };
    for _ in 0..8 {
        match found.as_ref().and_then(|r| r.merged_into) {
            Some(into) => found = customers::find(c, who.tenant_id, into).await?,
            None => break,
        }
    }
    // A customer outside the caller's scope is refused exactly like a missing one.
    match found.filter(|r| r.deleted_at.is_none()) {
        Some(r) if sees(c, who, &r).await? => Ok(r),
        _ => Err(FieldError::new(field, "not_found").into()),
    }
}

/// Fills the fields the application leaves empty from the customer it is for.
fn fill_from(a: &mut Applicant, c: &CustomerRow) {
    if a.name.is_none() {
        a.name = Some(c.name.clone());
    }
    if a.phone.is_none() {
        a.phone = c.phone.as_deref().map(|p| crm_domain::membership::ApplicantPhone::Valid(Phone::from_e164(p)));
    }
    macro_rules! fill {
        ($($f:ident),*) => { $( if a.$f.is_none() { a.$f.clone_from(&c.$f); } )* };
    }
    fill!(email, birthday, province, city, district, address);
    if a.gender.is_none() {
        a.gender = c.gender;
    }
    // A customer's id number can be longer than an application holds; such a one is not copied.
    if a.id_number.is_none() {
        a.id_number = c.id_number.clone().filter(|i| i.chars().count() <= crm_domain::limits::APPLICATION_ID_NUMBER);
    }
}

fn link(c: &CustomerRow) -> CustomerLink {
    CustomerLink { customer_id: c.id.0, owner_id: c.owner_id }
}

impl App {
    /// 提交入会申请: reviewed at once; approved at once when the tenant auto-approves the channel
    /// and the review finds nothing.
    pub async fn submit_application(&self, who: &Access, s: Submission) -> Result<Submitted, AppError> {
        who.require("enrollment:submit")?;
        if s.channel == Channel::Purchase && s.customer.is_none() {
            return Err(FieldError::new("/customer", "required").into());
        }
        if let Some(key) = &s.key
            && let Some(first) = store::find_external(self.store().conn(), who.tenant_id, key).await?
        {
            return self.replay(who, first).await;
        }
        let tx = self.store().begin_write().await?;
        let mut applicant = s.applicant;
        let customer = match &s.customer {
            Some(named) => Some(named_customer(&tx, who, named).await?),
            None => None,
        };
        if let Some(c) = &customer {
            fill_from(&mut applicant, c);
        }
        let id = ApplicationId::new();
        let findings = run_review(&tx, who, id, &applicant, customer.as_ref().map(|c| c.id.0)).await?;
        let new = NewApplication {
            id,
            channel: s.channel,
            applicant,
            key: s.key.clone(),
            customer: customer.as_ref().map(link),
            findings,
            created_by: who.actor.id(),
            submitted_by: match who.actor {
                Actor::User(u) => Some(u),
                Actor::Client(_) | Actor::System => None,
            },
            at: Utc::now(),
        };
        // As stored (the database keeps microseconds, and the ETag must match a later GET).
        let mut row = match store::insert(&tx, who.tenant_id, new).await? {
            Insertion::Inserted(row) => row,
            // A concurrent retry inserted the same key first: answer with its application.
            Insertion::AlreadyThere => {
                tx.rollback().await.map_err(StoreError::from)?;
                let key = s.key.as_ref().ok_or(NOT_FOUND)?;
                let first = store::find_external(self.store().conn(), who.tenant_id, key).await?.ok_or(NOT_FOUND)?;
                return self.replay(who, first).await;
            }
        };
        audit::record(
            &tx,
            who,
            "create",
            "enrollment_application",
            row.id.0,
            json!({"channel": row.channel, "clean": row.clean}),
        )
        .await?;
        let submitted = EnrollmentApplicationSubmittedV1 {
            application_id: row.id.0,
            channel: row.channel,
            clean: row.clean,
            customer_id: row.customer_id,
        };
        events::emit(&tx, who, DomainEvent::EnrollmentApplicationSubmitted(submitted)).await?;
        let settings = settings::current(&tx, who).await?;
        if row.clean && settings.enrollment_auto_approve_channels.contains(&row.channel) {
            // In a savepoint: when the person is a customer the submitter may not see, the
            // application stays pending for a reviewer who can.
            let sp = tx.begin().await.map_err(StoreError::from)?;
            match approve_in(&sp, who, &settings, row.clone(), &Approval::default(), None).await {
                Ok((approved, _)) => {
                    sp.commit().await.map_err(StoreError::from)?;
                    row = approved;
                }
                Err(e) if is_out_of_scope(&e) => sp.rollback().await.map_err(StoreError::from)?,
                Err(e) => return Err(e),
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Submitted { application: ApplicationView::new(row, who), replayed: false })
    }

    /// The answer to a retried submission: the first application, when the caller may see it;
    /// another scope's application under the same key is not shown (409).
    async fn replay(&self, who: &Access, first: Application) -> Result<Submitted, AppError> {
        if store::find_scoped(self.store().conn(), who.tenant_id, &who.scope, first.id).await?.is_none() {
            return Err(AppError::Conflict {
                code: Code::EnrollmentExternalIdTaken,
                field: Some("/external_id".to_owned()),
            });
        }
        Ok(Submitted { application: ApplicationView::new(first, who), replayed: true })
    }

    /// 批量导入: submits each application on its own (one transaction each, so one bad item never
    /// stops the others). `items` holds the items that could be read, by their index in the
    /// request; field errors are reported under `/items/{index}`.
    pub async fn import_applications(
        &self,
        who: &Access,
        items: Vec<(usize, Submission)>,
    ) -> Result<Vec<ItemResult<ImportStatus, Imported>>, AppError> {
        who.require("enrollment:submit")?;
        if items.len() > MAX_ITEMS {
            check_size("/items", items.len())?;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, s) in items {
            out.push(match self.submit_application(who, s).await {
                Ok(s) => {
                    let status = if s.replayed { ImportStatus::Replayed } else { ImportStatus::Created };
                    ItemResult::ok(i, status, Imported { application: s.application })
                }
                Err(e @ AppError::Invalid(_)) => ItemResult::failed(i, e.under(&format!("/items/{i}"))),
                Err(other) => ItemResult::failed(i, other),
            });
        }
        Ok(out)
    }

    pub async fn get_application(&self, who: &Access, id: ApplicationId) -> Result<ApplicationView, AppError> {
        who.require("enrollment:read")?;
        let row = store::find_scoped(self.store().conn(), who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        Ok(ApplicationView::new(row, who))
    }

    /// The review queue, oldest first.
    pub async fn list_applications(
        &self,
        who: &Access,
        f: ApplicationQuery,
        page: PageRequest,
    ) -> Result<Page<ApplicationView>, AppError> {
        who.require("enrollment:read")?;
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let filter = ApplicationFilter {
            status: f.status,
            channel: f.channel,
            finding: f.finding,
            clean: f.clean,
            phone: q.and_then(|q| Phone::parse("/q", q).ok()),
            name_prefix: q.map(str::to_owned),
        };
        let rows =
            store::page(self.store().conn(), who.tenant_id, &who.scope, &filter, page.after, page.fetch_size()).await?;
        Ok(page.finish(rows, |r| r.id.0, |r| ApplicationView::new(r, who)))
    }

    /// Corrects a pending application and reviews it again.
    pub async fn update_application(
        &self,
        who: &Access,
        id: ApplicationId,
        c: Correction,
        if_match: Option<&str>,
    ) -> Result<ApplicationView, AppError> {
        who.require("enrollment:review")?;
        let tx = self.store().begin_write().await?;
        // Locked, so of two corrections made with one ETag the second sees the first's version,
        // and a decision waits for the correction (or the correction for the decision).
        let before = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        if before.status != ApplicationStatus::Pending {
            return Err(not_pending());
        }
        let mut applicant = before.applicant.clone();
        c.applicant.apply(&mut applicant);
        let customer = match &c.customer {
            Some(named) => Some(link(&named_customer(&tx, who, named).await?)),
            None => None,
        };
        let customer_id = customer.map(|l| l.customer_id).or(before.customer_id);
        let findings = run_review(&tx, who, id, &applicant, customer_id).await?;
        let unchanged = applicant == before.applicant
            && customer.is_none_or(|l| Some(l.customer_id) == before.customer_id && l.owner_id == before.owner_id)
            && findings == before.findings;
        if unchanged {
            return Ok(ApplicationView::new(before, who));
        }
        let changes =
            ApplicationChanges { applicant: Some(applicant), customer, findings: Some(findings), decision: None };
        let row = store::update(&tx, who.tenant_id, id, changes, Utc::now()).await?;
        let diff = audit::diff(&audit_json(&before), &audit_json(&row));
        audit::record(&tx, who, "update", "enrollment_application", row.id.0, diff).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApplicationView::new(row, who))
    }
}
