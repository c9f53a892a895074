//! The customer record: create, read within the data scope, change (with `If-Match`), soft
//! delete and restore, and the lifecycle-grade history. Every write takes the next change
//! sequence number and is audited in its transaction.

use super::duplicates::{DuplicateCandidate, candidates, lock_keys, new_keys, refuse_new_duplicates, refuses};
use super::input::{CustomerInput, apply, required, same_content};
use super::view::{CustomerView, audit_json};
use crate::paging::{Page, PageRequest};
use crate::platform::audit;
use crate::platform::custom_fields::{Definitions, sync_values};
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::FieldErrors;
use crm_domain::customers::{CustomerKind, LifecycleGrade};
use crm_domain::ids::{TenantId, UserId};
use crm_domain::platform::custom_fields::ObjectType;
use crm_store::UniqueKey;
use crm_store::customers::grade_history;
use crm_store::customers::records::{self as customers, CustomerRow};
use crm_store::identity::users;
use crm_store::platform::counters;
use crm_store::{ConnectionTrait, DatabaseTransaction, StoreError};
use uuid::Uuid;

/// The counter behind the change feed.
pub(crate) const CHANGES: &str = "customer_changes";
const NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };
/// Another change of the customer came between the caller's read and its write.
const CHANGED: AppError = AppError::Conflict { code: "customer.changed_concurrently", field: None };

/// A created customer and the probable duplicates it was created beside.
#[derive(Debug, Clone)]
pub struct Created {
    pub customer: CustomerView,
    pub warnings: Vec<DuplicateCandidate>,
}

/// A grade change as the API shows it.
#[derive(Debug, Clone)]
pub struct GradeChange {
    pub from: Option<String>,
    pub to: String,
    pub changed_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
}

/// An empty row for a new customer.
pub(crate) fn blank(tenant: TenantId, who: &Access) -> CustomerRow {
    let now = Utc::now();
    CustomerRow {
        tenant_id: tenant.0,
        id: Uuid::now_v7(),
        kind: CustomerKind::Person.as_str().to_owned(),
        name: String::new(),
        name_norm: String::new(),
        name_pinyin: String::new(),
        name_initials: String::new(),
        phone: None,
        phone_last4: None,
        email: None,
        gender: None,
        birthday: None,
        id_number: None,
        company: None,
        company_key: None,
        province: None,
        city: None,
        district: None,
        address: None,
        source: None,
        external_id: None,
        industry: None,
        level: None,
        grade: LifecycleGrade::Prospect.as_str().to_owned(),
        owner_id: who.user_id().map(|u| u.0),
        owned_since: who.user_id().map(|_| now),
        notes: None,
        custom_fields: "{}".to_owned(),
        last_interaction_at: None,
        created_by: who.actor.id(),
        created_at: now,
        updated_at: now,
        deleted_at: None,
        merged_into: None,
        change_seq: 0,
    }
}

/// Checks that the owner, if any, is a user of the tenant.
pub(crate) async fn check_owner(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    row: &CustomerRow,
    field: &str,
    errs: &mut FieldErrors,
) -> Result<(), AppError> {
    if let Some(o) = row.owner_id
        && users::find(c, tenant, UserId(o)).await?.is_none()
    {
        errs.push(crm_domain::FieldError::new(field, "not_found"));
    }
    Ok(())
}

/// Builds views with each customer's tags (one query for all of them).
pub(crate) async fn views(
    c: &impl ConnectionTrait,
    who: &Access,
    rows: Vec<CustomerRow>,
) -> Result<Vec<CustomerView>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut tags = super::tags::tags_by_customer(c, who, &ids).await?;
    let defs = Definitions::load(c, who.tenant_id, ObjectType::Customer).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = tags.remove(&r.id).unwrap_or_default();
            CustomerView::new(r, who, t, &defs)
        })
        .collect())
}

pub(crate) async fn view(c: &impl ConnectionTrait, who: &Access, row: CustomerRow) -> Result<CustomerView, AppError> {
    views(c, who, vec![row]).await?.pop().ok_or_else(|| AppError::Internal("view of nothing".to_owned()))
}

/// Replaces the customer's tags when the input names them; audited as a change of the customer.
pub(crate) async fn write_tags(
    tx: &DatabaseTransaction,
    who: &Access,
    customer: Uuid,
    tag_ids: Option<&[Uuid]>,
) -> Result<(), AppError> {
    let Some(ids) = tag_ids else { return Ok(()) };
    let mut unique: Vec<Uuid> = ids.to_vec();
    unique.sort();
    unique.dedup();
    let before: Vec<Uuid> = crm_store::customers::tags::of_customers(tx, who.tenant_id, &[customer])
        .await?
        .into_iter()
        .map(|(_, t)| t.id)
        .collect();
    let mut sorted_before = before.clone();
    sorted_before.sort();
    if sorted_before == unique {
        return Ok(());
    }
    // The tags were checked before; held now, so none is deleted before this commits.
    if crm_store::customers::tags::lock_shared(tx, who.tenant_id, &unique).await? != unique.len() {
        return Err(crm_domain::FieldError::new("/tag_ids", "not_found").into());
    }
    crm_store::customers::tags::set_for_customer(tx, who.tenant_id, customer, &unique).await?;
    audit::record(
        tx,
        who,
        "tag",
        "customer",
        customer,
        serde_json::json!({"tags": {"from": sorted_before, "to": unique}}),
    )
    .await?;
    Ok(())
}

/// Inserts a new customer with the next change number (unless the caller reserved one), its
/// custom values, first grade and audit entry, and reads it back as stored.
pub(crate) async fn write_new(
    tx: &DatabaseTransaction,
    who: &Access,
    mut row: CustomerRow,
) -> Result<CustomerRow, AppError> {
    if row.change_seq == 0 {
        row.change_seq = counters::take(tx, who.tenant_id, CHANGES, 1).await?;
    }
    insert_new(tx, who, &row).await?;
    customers::find(tx, who.tenant_id, row.id).await?.ok_or_else(|| AppError::Internal("customer vanished".to_owned()))
}

/// What [`write_new`] writes, for a row whose change number is set, without reading it back.
pub(crate) async fn insert_new(tx: &DatabaseTransaction, who: &Access, row: &CustomerRow) -> Result<(), AppError> {
    customers::insert(tx, row).await?;
    if row.custom_fields != "{}" {
        sync_values(tx, who.tenant_id, ObjectType::Customer, row.id, &row.custom_fields).await?;
    }
    grade_history::append(tx, who.tenant_id, row.id, None, &row.grade, who.actor.kind(), who.actor.id()).await?;
    audit::record(tx, who, "create", "customer", row.id, audit_json(row)).await?;
    Ok(())
}

/// What [`insert_new`] writes, for many rows at once (multi-row inserts of the rows, their first
/// grades and their audit entries; custom values per row that has any).
pub(crate) async fn insert_new_many(
    tx: &DatabaseTransaction,
    who: &Access,
    rows: &[CustomerRow],
) -> Result<(), AppError> {
    customers::insert_many(tx, rows).await?;
    for row in rows.iter().filter(|r| r.custom_fields != "{}") {
        sync_values(tx, who.tenant_id, ObjectType::Customer, row.id, &row.custom_fields).await?;
    }
    let first: Vec<(Uuid, &str)> = rows.iter().map(|r| (r.id, r.grade.as_str())).collect();
    grade_history::append_first(tx, who.tenant_id, &first, who.actor.kind(), who.actor.id()).await?;
    audit::record_many(tx, who, "create", "customer", rows.iter().map(|r| (r.id, audit_json(r))).collect()).await?;
    Ok(())
}

/// Writes a change unless nothing differs (with the next change number unless the caller set
/// one); returns the row and whether it changed.
pub(crate) async fn write_change(
    tx: &DatabaseTransaction,
    who: &Access,
    before: CustomerRow,
    mut after: CustomerRow,
    action: &str,
) -> Result<(CustomerRow, bool), AppError> {
    if same_content(&before, &after) {
        return Ok((before, false));
    }
    // The row is locked before the change number is taken (customers before the counter, the
    // order every customer write keeps); a caller that read it unlocked learns here whether it
    // changed since (a no-op for callers that locked it already).
    let current = customers::lock(tx, who.tenant_id, before.id).await?;
    if current.is_none_or(|c| c.change_seq != before.change_seq) {
        return Err(CHANGED);
    }
    // Strictly later than the version the caller saw, so the ETag always changes.
    after.updated_at = Utc::now().max(before.updated_at + chrono::Duration::microseconds(1));
    // A batch reserves its change numbers up front and sets them; everyone else takes the next.
    if after.change_seq == before.change_seq {
        after.change_seq = counters::take(tx, who.tenant_id, CHANGES, 1).await?;
    }
    let diff = audit::diff(&audit_json(&before), &audit_json(&after));
    let grade_from = (before.grade != after.grade).then(|| before.grade.clone());
    let custom_changed = before.custom_fields != after.custom_fields;
    let row = customers::update(tx, before, after).await?.ok_or(CHANGED)?;
    if custom_changed {
        sync_values(tx, who.tenant_id, ObjectType::Customer, row.id, &row.custom_fields).await?;
    }
    if let Some(from) = grade_from {
        grade_history::append(tx, who.tenant_id, row.id, Some(&from), &row.grade, who.actor.kind(), who.actor.id())
            .await?;
    }
    audit::record(tx, who, action, "customer", row.id, diff).await?;
    Ok((row, true))
}

fn commit_err(e: crm_store::DbErr) -> AppError {
    external_taken(StoreError::from(e))
}

fn external_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::CustomerExternal) {
        AppError::Conflict { code: "customer.external_id_taken", field: Some("/external_id".to_owned()) }
    } else {
        e.into()
    }
}

impl App {
    /// Creates a customer; probable duplicates come back as warnings, or refuse the creation when
    /// the tenant's duplicate policy says so.
    pub async fn create_customer(&self, who: &Access, input: CustomerInput) -> Result<Created, AppError> {
        who.require("customers:write")?;
        let mut row = blank(who.tenant_id, who);
        let mut errs = FieldErrors::default();
        if input.name.is_none() {
            errs.push(required("/name".to_owned()));
        }
        if let Err(e) = apply(&mut row, &input, "") {
            errs.0.extend(e.0);
        }
        let defs = Definitions::load(self.store().conn(), who.tenant_id, ObjectType::Customer).await?;
        match defs.apply(who, &row.custom_fields, input.custom_fields.as_ref(), "", true) {
            Ok(c) => row.custom_fields = c,
            Err(e) => errs.0.extend(e.0),
        }
        check_owner(self.store().conn(), who.tenant_id, &row, "/owner_id", &mut errs).await?;
        if let Some(t) = &input.tag_ids {
            super::tags::check_tags(self.store().conn(), who, t, "/tag_ids", &mut errs).await?;
        }
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        // A refusal is decided under the locks of the new customer's keys, so two creates with one
        // phone cannot both find none; a warning is advisory and needs no lock.
        let refuse = refuses(&tx, who.tenant_id).await?;
        if refuse {
            lock_keys(&tx, who, &[&row]).await?;
        }
        let warnings = candidates(&tx, who, &row).await?;
        if refuse && !warnings.is_empty() {
            return Err(AppError::Duplicate { candidates: warnings });
        }
        let row = write_new(&tx, who, row).await?;
        write_tags(&tx, who, row.id, input.tag_ids.as_deref()).await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(Created { customer: v, warnings })
    }

    /// One live customer within the caller's data scope, or in the public pool when the caller
    /// may see the pool.
    pub async fn get_customer(&self, who: &Access, id: Uuid) -> Result<CustomerView, AppError> {
        who.require("customers:read")?;
        let db = self.store().conn();
        let mut row = customers::find_scoped(db, who.tenant_id, &who.scope, id).await?;
        if row.is_none() && who.permissions.contains("customers:pool") {
            row = customers::find(db, who.tenant_id, id).await?.filter(|r| r.owner_id.is_none());
        }
        let row = row.filter(|r| r.deleted_at.is_none()).ok_or(NOT_FOUND)?;
        view(db, who, row).await
    }

    /// Customers within the caller's data scope, oldest first, filtered and searched.
    pub async fn list_customers(
        &self,
        who: &Access,
        filters: super::filters::ListFilters,
        page: PageRequest,
    ) -> Result<Page<CustomerView>, AppError> {
        who.require("customers:read")?;
        let db = self.store().conn();
        let f = super::filters::store_filter(db, who, filters).await?;
        let rows = customers::page(db, who.tenant_id, &who.scope, &f, page.after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    pub async fn update_customer(
        &self,
        who: &Access,
        id: Uuid,
        input: CustomerInput,
        if_match: Option<&str>,
    ) -> Result<CustomerView, AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let refuse = refuses(&tx, who.tenant_id).await?;
        if refuse {
            self.lock_new_keys(&tx, who, id, &input).await?;
        }
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.clone();
        let mut errs = FieldErrors::default();
        if let Err(e) = apply(&mut after, &input, "") {
            errs.0.extend(e.0);
        }
        if input.custom_fields.is_some() {
            let defs = Definitions::load(&tx, who.tenant_id, ObjectType::Customer).await?;
            match defs.apply(who, &after.custom_fields, input.custom_fields.as_ref(), "", false) {
                Ok(c) => after.custom_fields = c,
                Err(e) => errs.0.extend(e.0),
            }
        }
        if input.owner_id.is_some() {
            check_owner(&tx, who.tenant_id, &after, "/owner_id", &mut errs).await?;
        }
        if let Some(t) = &input.tag_ids {
            super::tags::check_tags(&tx, who, t, "/tag_ids", &mut errs).await?;
        }
        errs.into_result()?;
        if refuse && !new_keys(&before, &after).is_empty() {
            // Normally held already; a concurrent change of the name or company may add one.
            lock_keys(&tx, who, &[&after]).await?;
            refuse_new_duplicates(&tx, who, &before, &after).await?;
        }
        let (row, _) = write_change(&tx, who, before, after, "update").await?;
        write_tags(&tx, who, row.id, input.tag_ids.as_deref()).await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(v)
    }

    /// Under `duplicate_policy: refuse`, locks the keys a change would give the customer, before
    /// the customer's row is locked (key locks come first in every transaction): derived from an
    /// unlocked read, which the caller re-checks under the row lock.
    async fn lock_new_keys(
        &self,
        tx: &DatabaseTransaction,
        who: &Access,
        id: Uuid,
        input: &CustomerInput,
    ) -> Result<(), AppError> {
        let Some(peek) = customers::find_scoped(tx, who.tenant_id, &who.scope, id).await? else { return Ok(()) };
        let mut after = peek.clone();
        // Only the keys matter here; errors are reported after the real read.
        let _ = apply(&mut after, input, "");
        if new_keys(&peek, &after).is_empty() {
            return Ok(());
        }
        lock_keys(tx, who, &[&after]).await
    }

    /// Soft delete: the customer leaves lists and reads, keeps its history, and can be restored.
    pub async fn delete_customer(&self, who: &Access, id: Uuid, if_match: Option<&str>) -> Result<(), AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.clone();
        after.deleted_at = Some(Utc::now());
        write_change(&tx, who, before, after, "delete").await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(())
    }

    pub async fn restore_customer(&self, who: &Access, id: Uuid) -> Result<CustomerView, AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        // A restored customer is live again: under the refuse policy its keys are checked like a
        // new customer's, under their locks (taken before the row lock).
        let refuse = refuses(&tx, who.tenant_id).await?;
        if refuse && let Some(peek) = customers::find_scoped(&tx, who.tenant_id, &who.scope, id).await? {
            lock_keys(&tx, who, &[&peek]).await?;
        }
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        if before.deleted_at.is_none() {
            return Err(AppError::Conflict { code: "customer.not_deleted", field: None });
        }
        if before.merged_into.is_some() {
            return Err(AppError::Conflict { code: "customer.merged", field: None });
        }
        if refuse {
            let found = candidates(&tx, who, &before).await?;
            if !found.is_empty() {
                return Err(AppError::Duplicate { candidates: found });
            }
        }
        let mut after = before.clone();
        after.deleted_at = None;
        let (row, _) = write_change(&tx, who, before, after, "restore").await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(v)
    }

    /// Every grade the customer has had, oldest first.
    pub async fn customer_grade_history(&self, who: &Access, id: Uuid) -> Result<Vec<GradeChange>, AppError> {
        who.require("customers:read")?;
        customers::find_scoped(self.store().conn(), who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        Ok(grade_history::of_customer(self.store().conn(), who.tenant_id, id)
            .await?
            .into_iter()
            .map(|g| GradeChange {
                from: g.from_grade,
                to: g.to_grade,
                changed_at: g.changed_at,
                actor_type: g.actor_type,
                actor_id: g.actor_id,
            })
            .collect())
    }
}
