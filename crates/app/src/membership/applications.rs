//! 入会申请: applications from the four channels, the automatic review (missing key information,
//! an invalid phone, a duplicate pending application, an existing membership) stored with each
//! application, the review queue, and corrections that re-run the review. A system that sends its
//! own `source` + `external_id` can retry a submission safely: the first application is returned.

use super::approval::{ApproveInput, approve_in, is_out_of_scope, sees};
use crate::customers::records::PII;
use crate::paging::{Page, PageRequest};
use crate::platform::{audit, events, settings};
use crate::{Access, Actor, App, AppError, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::customer::{mask_id_number, parse_email, parse_id_number, parse_text};
use crm_domain::customers::{Gender, Phone};
use crm_domain::identity::org::parse_name_within;
use crm_domain::membership::review::{Facts, PhoneFact, review};
use crm_domain::membership::{ApplicationStatus, Channel, Finding, FindingCode, RequiredField};
use crm_domain::{FieldError, FieldErrors};
use crm_store::customers::records::{self as customers, Customer as CustomerRow};
use crm_store::membership::applications::{self as store, ApplicationFilter, ApplicationRow};
use crm_store::membership::members;
use crm_store::scope::ScopeFilter;
use crm_store::{ConnectionTrait, StoreError, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "enrollment_application" };
/// The most applications one import takes.
pub const MAX_IMPORT: usize = 1000;

/// The fields of an application. On submission `channel` is required; on a correction absent
/// fields stay and `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    pub channel: Option<String>,
    pub name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub id_number: Option<Option<String>>,
    pub province: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub district: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// The customer the application is for, by id.
    pub customer_id: Option<Uuid>,
    /// The customer the application is for, by the key a system used in its batch upsert.
    pub customer: Option<(String, String)>,
    /// The submitting system's own key for the application (both or neither).
    pub source: Option<String>,
    pub external_id: Option<String>,
}

/// An application as the API shows it.
#[derive(Debug, Clone)]
pub struct ApplicationView {
    pub id: Uuid,
    pub channel: String,
    pub status: String,
    pub name: Option<String>,
    /// E.164 when valid; as given when not (then the review reports `invalid_phone`).
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
    pub clean: bool,
    pub findings: Vec<Finding>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationView {
    pub(crate) fn new(r: ApplicationRow, who: &Access) -> Self {
        let pii = who.permissions.contains(PII);
        let mut findings: Vec<Finding> = serde_json::from_str(&r.findings).unwrap_or_default();
        if who.scope != ScopeFilter::All {
            // The other application or member may be outside the caller's scope: say that there
            // is one, not which.
            for f in &mut findings {
                f.application_id = None;
                f.member_id = None;
            }
        }
        Self {
            id: r.id,
            channel: r.channel,
            status: r.status,
            name: r.name,
            phone: r
                .phone
                .map(|p| if pii { p } else { Phone::from_e164(&p).masked() })
                .or_else(|| r.phone_raw.map(|raw| if pii { raw } else { mask_raw(&raw) })),
            email: r.email,
            gender: r.gender,
            birthday: r.birthday,
            id_number: r.id_number.map(|i| if pii { i } else { mask_id_number(&i) }),
            province: r.province,
            city: r.city,
            district: r.district,
            address: r.address,
            notes: r.notes,
            source: r.source,
            external_id: r.external_id,
            customer_id: r.customer_id,
            member_id: r.member_id,
            level_id: r.level_id,
            clean: r.clean,
            findings,
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

/// A submission's answer: the application, and whether it is one submitted before under the
/// same `source` + `external_id` (a retry).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub application: ApplicationView,
    pub replayed: bool,
}

/// Queue filters as given.
#[derive(Debug, Clone, Default)]
pub struct ApplicationListFilters {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub finding: Option<String>,
    pub clean: Option<bool>,
    pub q: Option<String>,
}

/// Applies `input` to `row`, collecting every error. A phone that does not parse is kept as
/// given for the review to report, not refused.
fn apply(row: &mut ApplicationRow, input: &ApplicationInput) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(n) = &input.name {
        row.name = match given(n) {
            Some(n) => errs.check(parse_name_within("/name", &n, crm_domain::limits::APPLICATION_NAME)),
            None => None,
        };
    }
    if let Some(p) = &input.phone {
        (row.phone, row.phone_raw) = match given(p) {
            None => (None, None),
            Some(raw) => match Phone::parse("/phone", &raw) {
                Ok(p) => (Some(p.e164().to_owned()), None),
                Err(_) => (None, Some(crm_domain::limits::truncate(&raw, crm_domain::limits::APPLICATION_PHONE_RAW))),
            },
        };
    }
    if let Some(e) = &input.email {
        row.email = given(e).and_then(|e| errs.check(parse_email("/email", &e)));
    }
    if let Some(g) = &input.gender {
        row.gender = given(g).and_then(|g| errs.check(Gender::parse("/gender", &g))).map(|g| g.as_str().to_owned());
    }
    if let Some(b) = input.birthday {
        row.birthday = b;
    }
    if let Some(i) = &input.id_number {
        row.id_number = given(i).and_then(|i| {
            let n = parse_id_number("/id_number", &i);
            errs.check(n.and_then(|n| {
                crm_domain::limits::check("/id_number", &n, crm_domain::limits::APPLICATION_ID_NUMBER).map(|()| n)
            }))
        });
    }
    for (name, value, max, target) in [
        ("province", &input.province, crm_domain::limits::PROVINCE, &mut row.province),
        ("city", &input.city, crm_domain::limits::CITY, &mut row.city),
        ("district", &input.district, crm_domain::limits::DISTRICT, &mut row.district),
        ("address", &input.address, crm_domain::limits::ADDRESS, &mut row.address),
        ("notes", &input.notes, 10_000, &mut row.notes),
    ] {
        if let Some(v) = value
            && let Some(v) = errs.check(parse_text(&format!("/{name}"), v.as_deref(), max))
        {
            *target = v;
        }
    }
    errs.into_result()
}

/// Fills the fields the application leaves empty from the customer it is for.
fn fill_from(row: &mut ApplicationRow, c: &CustomerRow) {
    if row.name.is_none() {
        row.name = Some(c.name.clone());
    }
    if row.phone.is_none() && row.phone_raw.is_none() {
        row.phone.clone_from(&c.phone);
    }
    macro_rules! fill {
        ($($f:ident),*) => { $( if row.$f.is_none() { row.$f.clone_from(&c.$f); } )* };
    }
    fill!(email, birthday, province, city, district, address);
    if row.gender.is_none() {
        row.gender = c.gender.map(|g| g.as_str().to_owned());
    }
    // A customer's id number can be longer than an application holds; such a one is not copied.
    if row.id_number.is_none() {
        row.id_number = c.id_number.clone().filter(|i| i.chars().count() <= crm_domain::limits::APPLICATION_ID_NUMBER);
    }
}

/// Which fields the application carries, as the review counts them.
fn present(row: &ApplicationRow) -> Vec<RequiredField> {
    let mut p = Vec::new();
    for (f, has) in [
        (RequiredField::Name, row.name.is_some()),
        (RequiredField::Email, row.email.is_some()),
        (RequiredField::IdNumber, row.id_number.is_some()),
        (RequiredField::Gender, row.gender.is_some()),
        (RequiredField::Birthday, row.birthday.is_some()),
        (
            RequiredField::Address,
            row.province.is_some() || row.city.is_some() || row.district.is_some() || row.address.is_some(),
        ),
    ] {
        if has {
            p.push(f);
        }
    }
    p
}

pub(crate) fn phone_fact(row: &ApplicationRow) -> PhoneFact {
    match (&row.phone, &row.phone_raw) {
        (Some(_), _) => PhoneFact::Valid,
        (None, Some(_)) => PhoneFact::Invalid,
        (None, None) => PhoneFact::Absent,
    }
}

/// The findings about missing and malformed key information only (what blocks an approval).
pub(crate) fn completeness(row: &ApplicationRow, required: &[RequiredField]) -> Vec<Finding> {
    let facts = Facts { present: present(row), phone: Some(phone_fact(row)), ..Facts::default() };
    review(&facts, required)
}

/// Runs the whole review and stores its findings on the row.
async fn run_review(c: &impl ConnectionTrait, who: &Access, row: &mut ApplicationRow) -> Result<(), AppError> {
    let s = settings::load(c, who.tenant_id).await?;
    let tenant = who.tenant_id;
    let (phone, id_number) = (row.phone.as_deref(), row.id_number.as_deref());
    let customers: Vec<Uuid> = row.customer_id.into_iter().collect();
    let facts = Facts {
        present: present(row),
        phone: Some(phone_fact(row)),
        pending_duplicates: store::pending_with_key(c, tenant, phone, id_number, row.id).await?,
        members: members::live_matching(c, tenant, phone, id_number, &customers)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect(),
    };
    let findings = review(&facts, &s.enrollment_required_fields);
    row.clean = findings.is_empty();
    row.findings = serde_json::to_string(&findings).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(())
}

/// The live customer an application names (by id or by a system's key; a merged customer
/// resolves to the one it was merged into).
async fn named_customer(
    c: &impl ConnectionTrait,
    who: &Access,
    input: &ApplicationInput,
) -> Result<Option<CustomerRow>, AppError> {
    let (mut found, field) = match (&input.customer_id, &input.customer) {
        (Some(id), _) => (customers::find(c, who.tenant_id, crm_domain::ids::CustomerId(*id)).await?, "/customer_id"),
        (None, Some((source, external_id))) => {
            (customers::find_external(c, who.tenant_id, source, external_id).await?, "/customer")
        }
        (None, None) => return Ok(None),
    };
    for _ in 0..8 {
        match found.as_ref().and_then(|r| r.merged_into) {
            Some(into) => found = customers::find(c, who.tenant_id, into).await?,
            None => break,
        }
    }
    // A customer outside the caller's scope is refused exactly like a missing one.
    match found.filter(|r| r.deleted_at.is_none()) {
        Some(r) if sees(c, who, &r).await? => Ok(Some(r)),
        _ => Err(FieldError::new(field, "not_found").into()),
    }
}

fn external_key(input: &ApplicationInput) -> Result<Option<(String, String)>, AppError> {
    let mut errs = FieldErrors::default();
    let s = errs.check(parse_text("/source", input.source.as_deref(), crm_domain::limits::SOURCE)).flatten();
    let e =
        errs.check(parse_text("/external_id", input.external_id.as_deref(), crm_domain::limits::EXTERNAL_ID)).flatten();
    match (&s, &e) {
        (Some(_), None) => errs.push(FieldError::new("/external_id", "required")),
        (None, Some(_)) => errs.push(FieldError::new("/source", "required")),
        _ => {}
    }
    errs.into_result()?;
    Ok(s.zip(e))
}

impl App {
    /// 提交入会申请: reviewed at once; approved at once when the tenant auto-approves the channel
    /// and the review finds nothing.
    pub async fn submit_application(&self, who: &Access, input: ApplicationInput) -> Result<Submitted, AppError> {
        who.require("enrollment:submit")?;
        let mut errs = FieldErrors::default();
        let channel = match input.channel.as_deref() {
            Some(c) => errs.check(Channel::parse("/channel", c)),
            None => {
                errs.push(FieldError::new("/channel", "required"));
                None
            }
        };
        if channel == Some(Channel::Purchase) && input.customer_id.is_none() && input.customer.is_none() {
            errs.push(FieldError::new("/customer", "required"));
        }
        let key = match external_key(&input) {
            Ok(k) => k,
            Err(AppError::Invalid(e)) => {
                errs.0.extend(e.0);
                None
            }
            Err(other) => return Err(other),
        };
        let now = Utc::now();
        let mut row = ApplicationRow {
            tenant_id: who.tenant_id.0,
            id: Uuid::now_v7(),
            channel: channel.map(|c| c.as_str().to_owned()).unwrap_or_default(),
            status: ApplicationStatus::Pending.as_str().to_owned(),
            name: None,
            phone: None,
            phone_raw: None,
            email: None,
            gender: None,
            birthday: None,
            id_number: None,
            province: None,
            city: None,
            district: None,
            address: None,
            notes: None,
            source: key.as_ref().map(|k| k.0.clone()),
            external_id: key.as_ref().map(|k| k.1.clone()),
            customer_id: None,
            member_id: None,
            level_id: None,
            findings: "[]".to_owned(),
            clean: true,
            decided_at: None,
            decided_by: None,
            decision_reason: None,
            created_by: who.actor.id(),
            submitted_by: match who.actor {
                Actor::User(u) => Some(u.0),
                Actor::Client(_) | Actor::System => None,
            },
            owner_id: None,
            created_at: now,
            updated_at: now,
        };
        if let Err(e) = apply(&mut row, &input) {
            errs.0.extend(e.0);
        }
        errs.into_result()?;
        if let Some((s, e)) = &key
            && let Some(first) = store::find_external(self.store().conn(), who.tenant_id, s, e).await?
        {
            return self.replay(who, first).await;
        }
        let tx = self.store().begin_write().await?;
        if let Some(c) = named_customer(&tx, who, &input).await? {
            fill_from(&mut row, &c);
            row.customer_id = Some(c.id.0);
            row.owner_id = c.owner_id.map(|o| o.0);
        }
        run_review(&tx, who, &mut row).await?;
        match store::insert(&tx, &row).await {
            Ok(()) => {}
            // A concurrent retry inserted the same key first: answer with its application.
            Err(StoreError::Conflict { .. }) if key.is_some() => {
                tx.rollback().await.map_err(StoreError::from)?;
                let (s, e) = key.unwrap_or_default();
                let first = store::find_external(self.store().conn(), who.tenant_id, &s, &e).await?.ok_or(NOT_FOUND)?;
                return self.replay(who, first).await;
            }
            Err(e) => return Err(e.into()),
        }
        audit::record(
            &tx,
            who,
            "create",
            "enrollment_application",
            row.id,
            json!({"channel": row.channel, "clean": row.clean}),
        )
        .await?;
        events::emit(
            &tx,
            who,
            "enrollment_application.submitted",
            "enrollment_application",
            row.id,
            json!({"channel": row.channel, "clean": row.clean, "customer_id": row.customer_id}),
        )
        .await?;
        // Read back as stored: the database keeps microseconds, and the ETag must match a later GET.
        row = store::find(&tx, who.tenant_id, row.id).await?.ok_or(NOT_FOUND)?;
        let s = settings::load(&tx, who.tenant_id).await?;
        if row.clean && channel.is_some_and(|c| s.enrollment_auto_approve_channels.contains(&c)) {
            // In a savepoint: when the person is a customer the submitter may not see, the
            // application stays pending for a reviewer who can.
            let sp = tx.begin().await.map_err(StoreError::from)?;
            match approve_in(&sp, who, &s, row.clone(), &ApproveInput::default(), None).await {
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
    async fn replay(&self, who: &Access, first: ApplicationRow) -> Result<Submitted, AppError> {
        if store::find_scoped(self.store().conn(), who.tenant_id, &who.scope, first.id).await?.is_none() {
            return Err(AppError::Conflict {
                code: "enrollment.external_id_taken",
                field: Some("/external_id".to_owned()),
            });
        }
        Ok(Submitted { application: ApplicationView::new(first, who), replayed: true })
    }

    /// 批量导入: submits each application on its own (one transaction each, so one bad item never
    /// stops the others), with the channel `import` unless an item names another. `items` holds
    /// the items that could be read, by their index in the request; field errors are reported
    /// under `/items/{index}`.
    pub async fn import_applications(
        &self,
        who: &Access,
        items: Vec<(usize, ApplicationInput)>,
    ) -> Result<Vec<(usize, Result<Submitted, AppError>)>, AppError> {
        who.require("enrollment:submit")?;
        if items.len() > MAX_IMPORT {
            return Err(FieldError::new("/items", "range").with("min", 1).with("max", MAX_IMPORT).into());
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, mut input) in items {
            if input.channel.is_none() {
                input.channel = Some(Channel::Import.as_str().to_owned());
            }
            let r = self.submit_application(who, input).await.map_err(|e| match e {
                AppError::Invalid(f) => {
                    AppError::Invalid(FieldErrors(f.0.into_iter().map(|e| e.under(&format!("/items/{i}"))).collect()))
                }
                other => other,
            });
            out.push((i, r));
        }
        Ok(out)
    }

    pub async fn get_application(&self, who: &Access, id: Uuid) -> Result<ApplicationView, AppError> {
        who.require("enrollment:read")?;
        let row = store::find_scoped(self.store().conn(), who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        Ok(ApplicationView::new(row, who))
    }

    /// The review queue, oldest first.
    pub async fn list_applications(
        &self,
        who: &Access,
        f: ApplicationListFilters,
        page: PageRequest,
    ) -> Result<Page<ApplicationView>, AppError> {
        who.require("enrollment:read")?;
        let mut errs = FieldErrors::default();
        let status = f.status.as_deref().and_then(|s| errs.check(ApplicationStatus::parse("/status", s)));
        let channel = f.channel.as_deref().and_then(|c| errs.check(Channel::parse("/channel", c)));
        let finding = f.finding.as_deref().and_then(|c| errs.check(FindingCode::parse("/finding", c)));
        errs.into_result()?;
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let filter = ApplicationFilter {
            status,
            channel: channel.map(|c| c.as_str().to_owned()),
            finding: finding.map(|c| c.as_str().to_owned()),
            clean: f.clean,
            phone: q.and_then(|q| Phone::parse("/q", q).ok()).map(|p| p.e164().to_owned()),
            name_prefix: q.map(str::to_owned),
        };
        let rows =
            store::page(self.store().conn(), who.tenant_id, &who.scope, &filter, page.after, page.fetch_size()).await?;
        Ok(page.finish(rows, |r| r.id, |r| ApplicationView::new(r, who)))
    }

    /// Corrects a pending application and reviews it again.
    pub async fn update_application(
        &self,
        who: &Access,
        id: Uuid,
        input: ApplicationInput,
        if_match: Option<&str>,
    ) -> Result<ApplicationView, AppError> {
        who.require("enrollment:review")?;
        let mut errs = FieldErrors::default();
        for (field, given) in [
            ("/channel", input.channel.is_some()),
            ("/source", input.source.is_some()),
            ("/external_id", input.external_id.is_some()),
        ] {
            if given {
                errs.push(FieldError::new(field, "read_only"));
            }
        }
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        // Locked, so of two corrections made with one ETag the second sees the first's version,
        // and a decision waits for the correction (or the correction for the decision).
        let before = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        if before.status != ApplicationStatus::Pending.as_str() {
            return Err(AppError::Conflict { code: "enrollment.not_pending", field: None });
        }
        let mut after = before.clone();
        apply(&mut after, &input)?;
        if input.customer_id.is_some() || input.customer.is_some() {
            let c = named_customer(&tx, who, &input).await?;
            after.customer_id = c.as_ref().map(|c| c.id.0);
            after.owner_id = c.and_then(|c| c.owner_id).map(|o| o.0);
        }
        run_review(&tx, who, &mut after).await?;
        if after == before {
            return Ok(ApplicationView::new(before, who));
        }
        after.updated_at = Utc::now();
        let diff = audit::diff(&application_json(&before), &application_json(&after));
        let row = store::update(&tx, before, after).await?;
        audit::record(&tx, who, "update", "enrollment_application", row.id, diff).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ApplicationView::new(row, who))
    }
}

/// The audit form of an application (personal data masked).
pub(crate) fn application_json(r: &ApplicationRow) -> serde_json::Value {
    json!({
        "status": r.status, "name": r.name,
        "phone": r.phone.as_deref().map(|p| Phone::from_e164(p).masked()).or(r.phone_raw.as_deref().map(mask_raw)),
        "email": r.email, "gender": r.gender, "birthday": r.birthday,
        "id_number": r.id_number.as_deref().map(mask_id_number),
        "province": r.province, "city": r.city, "district": r.district, "address": r.address, "notes": r.notes,
        "customer_id": r.customer_id, "member_id": r.member_id, "level_id": r.level_id,
        "clean": r.clean, "findings": r.findings, "decision_reason": r.decision_reason,
    })
}
