//! The customer record's use cases: create, read within the data scope, list, change (with
//! `If-Match`), soft delete and restore, and the lifecycle-grade history. Every write takes the
//! next change sequence number and is audited in its transaction.

use super::filters::{ListFilters, store_filter};
use super::input::{CustomerInput, apply, required};
use super::records::{
    blank, candidates, check_owner, lock_keys, new_keys, refuse_new_duplicates, refuses, view, views,
    write_locked_change, write_new, write_tags,
};
use super::tags::check_tags;
use super::view::{CreatedCustomer, CustomerView};
use crate::codes::Code;
use crate::paging::{Items, Page, PageRequest};
use crate::platform::custom_fields::Definitions;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Utc};
use crm_domain::FieldErrors;
use crm_domain::customers::LifecycleGrade;
use crm_domain::ids::CustomerId;
use crm_domain::platform::custom_fields::ObjectType;
use crm_store::customers::grade_history;
use crm_store::customers::records as customers;
use crm_store::{DatabaseTransaction, StoreError, UniqueKey};
use serde::Serialize;
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };

/// One lifecycle-grade change.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeChangeView {
    pub from: Option<LifecycleGrade>,
    pub to: LifecycleGrade,
    pub changed_at: DateTime<Utc>,
    /// `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
}

fn commit_err(e: crm_store::DbErr) -> AppError {
    let e = StoreError::from(e);
    if e.is_conflict_on(UniqueKey::CustomerExternal) { super::records::external_id_taken() } else { e.into() }
}

impl App {
    /// Creates a customer; probable duplicates come back as warnings, or refuse the creation when
    /// the tenant's duplicate policy says so.
    pub async fn create_customer(&self, who: &Access, input: CustomerInput) -> Result<CreatedCustomer, AppError> {
        who.require("customers:write")?;
        let mut row = blank(who.tenant_id, who);
        let mut errs = FieldErrors(input.invalid_under(""));
        if input.lacks_name() {
            errs.push(required("/name".to_owned()));
        }
        apply(&mut row, &input);
        let defs = Definitions::current(self.store().conn(), who, ObjectType::Customer).await?;
        match defs.apply(who, &row.custom_fields, input.custom_fields.as_ref(), "", true) {
            Ok(c) => row.custom_fields = c,
            Err(e) => errs.0.extend(e.0),
        }
        check_owner(self.store().conn(), who.tenant_id, &row, "/owner_id", &mut errs).await?;
        if let Some(t) = &input.tag_ids {
            check_tags(self.store().conn(), who, t, "/tag_ids", &mut errs).await?;
        }
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        // A refusal is decided under the locks of the new customer's keys, so two creates with one
        // phone cannot both find none; a warning is advisory and needs no lock.
        let refuse = refuses(&tx, who).await?;
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
        Ok(CreatedCustomer { customer: v, warnings })
    }

    /// One live customer within the caller's data scope, or in the public pool when the caller
    /// may see the pool.
    pub async fn get_customer(&self, who: &Access, id: CustomerId) -> Result<CustomerView, AppError> {
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
        filters: ListFilters,
        page: PageRequest,
    ) -> Result<Page<CustomerView>, AppError> {
        who.require("customers:read")?;
        let db = self.store().conn();
        let f = store_filter(db, who, filters).await?;
        let after = page.after.map(CustomerId);
        let rows = customers::page(db, who.tenant_id, &who.scope, &f, after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id.0, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    pub async fn update_customer(
        &self,
        who: &Access,
        id: CustomerId,
        input: CustomerInput,
        if_match: Option<&str>,
    ) -> Result<CustomerView, AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let refuse = refuses(&tx, who).await?;
        if refuse {
            lock_new_keys(&tx, who, id, &input).await?;
        }
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.clone();
        let mut errs = FieldErrors(input.invalid_under(""));
        apply(&mut after, &input);
        if input.custom_fields.is_some() {
            let defs = Definitions::current(&tx, who, ObjectType::Customer).await?;
            match defs.apply(who, &after.custom_fields, input.custom_fields.as_ref(), "", false) {
                Ok(c) => after.custom_fields = c,
                Err(e) => errs.0.extend(e.0),
            }
        }
        if input.owner_id.is_some() {
            check_owner(&tx, who.tenant_id, &after, "/owner_id", &mut errs).await?;
        }
        if let Some(t) = &input.tag_ids {
            check_tags(&tx, who, t, "/tag_ids", &mut errs).await?;
        }
        errs.into_result()?;
        if refuse && !new_keys(&before, &after).is_empty() {
            // Normally held already; a concurrent change of the name or company may add one.
            lock_keys(&tx, who, &[&after]).await?;
            refuse_new_duplicates(&tx, who, &before, &after).await?;
        }
        let (row, _) = write_locked_change(&tx, who, before, after, "update").await?;
        write_tags(&tx, who, row.id, input.tag_ids.as_deref()).await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(v)
    }

    /// Soft delete: the customer leaves lists and reads, keeps its history, and can be restored.
    pub async fn delete_customer(&self, who: &Access, id: CustomerId, if_match: Option<&str>) -> Result<(), AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.clone();
        after.deleted_at = Some(Utc::now());
        write_locked_change(&tx, who, before, after, "delete").await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(())
    }

    pub async fn restore_customer(&self, who: &Access, id: CustomerId) -> Result<CustomerView, AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        // A restored customer is live again: under the refuse policy its keys are checked like a
        // new customer's, under their locks (taken before the row lock).
        let refuse = refuses(&tx, who).await?;
        if refuse && let Some(peek) = customers::find_scoped(&tx, who.tenant_id, &who.scope, id).await? {
            lock_keys(&tx, who, &[&peek]).await?;
        }
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        if before.deleted_at.is_none() {
            return Err(AppError::Conflict { code: Code::CustomerNotDeleted, field: None });
        }
        if before.merged_into.is_some() {
            return Err(AppError::Conflict { code: Code::CustomerMerged, field: None });
        }
        if refuse {
            let found = candidates(&tx, who, &before).await?;
            if !found.is_empty() {
                return Err(AppError::Duplicate { candidates: found });
            }
        }
        let mut after = before.clone();
        after.deleted_at = None;
        let (row, _) = write_locked_change(&tx, who, before, after, "restore").await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(commit_err)?;
        Ok(v)
    }

    /// Every grade the customer has had, oldest first.
    pub async fn customer_grade_history(
        &self,
        who: &Access,
        id: CustomerId,
    ) -> Result<Items<GradeChangeView>, AppError> {
        who.require("customers:read")?;
        customers::find_scoped(self.store().conn(), who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let items = grade_history::of_customer(self.store().conn(), who.tenant_id, id)
            .await?
            .into_iter()
            .map(|g| GradeChangeView {
                from: g.from,
                to: g.to,
                changed_at: g.changed_at,
                actor_type: g.actor_type,
                actor_id: g.actor_id,
            })
            .collect();
        Ok(Items { items })
    }
}

/// Under `duplicate_policy: refuse`, locks the keys a change would give the customer, before the
/// customer's row is locked (key locks come first in every transaction): derived from an
/// unlocked read, which the caller re-checks under the row lock.
async fn lock_new_keys(
    tx: &DatabaseTransaction,
    who: &Access,
    id: CustomerId,
    input: &CustomerInput,
) -> Result<(), AppError> {
    let Some(peek) = customers::find_scoped(tx, who.tenant_id, &who.scope, id).await? else { return Ok(()) };
    let mut after = peek.clone();
    apply(&mut after, input);
    if new_keys(&peek, &after).is_empty() {
        return Ok(());
    }
    lock_keys(tx, who, &[&after]).await
}
