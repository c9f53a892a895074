//! A segment's members: the count of an unsaved rule set or a stored segment, the members within
//! the caller's data scope, adding to and removing from a static segment, and why a customer is
//! (not) in a segment.

use super::rules::{compile, facts, members_filter};
use super::{ConditionOutcome, MembershipChange, NOT_FOUND, SegmentExplanation};
use crate::batch::{MAX_ITEMS, check_size};
use crate::codes::Code;
use crate::customers::records::views;
use crate::customers::view::CustomerView;
use crate::paging::{Page, PageRequest};
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::Utc;
use crm_domain::customers::segments::{self as rules, MatchMode, SegmentKind};
use crm_domain::ids::{CustomerId, SegmentId};
use crm_domain::{FieldError, FieldErrors};
use crm_store::customers::records as customers;
use crm_store::customers::segments as store;
use crm_store::customers::tags;
use crm_store::{ConnectionTrait, StoreError};
use serde_json::{Value, json};

const CUSTOMER_NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };

/// Checks a list of customer ids to add or remove: 1 to [`MAX_ITEMS`], each visible to the caller.
async fn visible_customers(c: &impl ConnectionTrait, who: &Access, ids: &[CustomerId]) -> Result<(), AppError> {
    check_size("/customer_ids", ids.len())?;
    let mut errs = FieldErrors::default();
    for (i, id) in ids.iter().enumerate() {
        let found = customers::find_scoped(c, who.tenant_id, &who.scope, *id).await?;
        if found.is_none_or(|r| r.deleted_at.is_some()) {
            errs.push(FieldError::new(format!("/customer_ids/{i}"), "not_found"));
        }
    }
    Ok(errs.into_result()?)
}

impl App {
    /// How many customers in the caller's scope an unsaved rule set matches.
    pub async fn preview_segment(&self, who: &Access, rules: &Value) -> Result<u64, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let (r, defs) = super::rules::parse(db, who, rules).await?;
        let f = compile(who, &defs, &r, Utc::now())?;
        Ok(customers::count(db, who.tenant_id, &who.scope, &f).await?)
    }

    /// How many members of the segment the caller's scope shows.
    pub async fn count_segment(&self, who: &Access, id: SegmentId) -> Result<u64, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let seg = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let (f, _) = members_filter(db, who, &seg, Utc::now()).await?;
        Ok(customers::count(db, who.tenant_id, &who.scope, &f).await?)
    }

    /// A page of the segment's members the caller's scope shows, in id order.
    pub async fn segment_members(
        &self,
        who: &Access,
        id: SegmentId,
        page: PageRequest,
    ) -> Result<Page<CustomerView>, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let seg = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let (f, _) = members_filter(db, who, &seg, Utc::now()).await?;
        let after = page.after.map(CustomerId);
        let rows = customers::page(db, who.tenant_id, &who.scope, &f, after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id.0, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    /// Adds customers (each visible to the caller) to a static segment; ones already in stay.
    pub async fn add_segment_members(
        &self,
        who: &Access,
        id: SegmentId,
        customer_ids: &[CustomerId],
    ) -> Result<MembershipChange, AppError> {
        self.change_members(who, id, customer_ids, true).await
    }

    /// Removes customers (each visible to the caller) from a static segment; absent ones are ignored.
    pub async fn remove_segment_members(
        &self,
        who: &Access,
        id: SegmentId,
        customer_ids: &[CustomerId],
    ) -> Result<MembershipChange, AppError> {
        self.change_members(who, id, customer_ids, false).await
    }

    async fn change_members(
        &self,
        who: &Access,
        id: SegmentId,
        customer_ids: &[CustomerId],
        add: bool,
    ) -> Result<MembershipChange, AppError> {
        who.require("segments:write")?;
        let tx = self.store().begin_write().await?;
        let seg = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        if seg.kind != SegmentKind::Static {
            return Err(AppError::Conflict { code: Code::SegmentNotStatic, field: None });
        }
        if add && !customer_ids.is_empty() && customer_ids.len() <= MAX_ITEMS {
            // Added customers stay live (not deleted or merged away) until this commits.
            customers::lock_many(&tx, who.tenant_id, customer_ids).await?;
        }
        visible_customers(&tx, who, customer_ids).await?;
        let changed = if add {
            store::add_members(&tx, who.tenant_id, id, customer_ids, who.actor.id(), Utc::now()).await?
        } else {
            store::remove_members(&tx, who.tenant_id, id, customer_ids).await?
        };
        let action = if add { "add_members" } else { "remove_members" };
        audit::record(&tx, who, action, "segment", id.0, json!({"customer_ids": customer_ids, "changed": changed}))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(MembershipChange { changed })
    }

    /// Why a customer (visible to the caller) is or is not in the segment.
    pub async fn explain_segment(
        &self,
        who: &Access,
        id: SegmentId,
        customer_id: CustomerId,
    ) -> Result<SegmentExplanation, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let seg = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let row = customers::find_scoped(db, who.tenant_id, &who.scope, customer_id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(CUSTOMER_NOT_FOUND)?;
        let now = Utc::now();
        let (_, parsed) = members_filter(db, who, &seg, now).await?;
        let Some((r, defs)) = parsed else {
            let member = store::is_member(db, who.tenant_id, id, customer_id).await?;
            return Ok(SegmentExplanation {
                segment_id: id,
                customer_id,
                kind: seg.kind,
                member,
                match_mode: None,
                conditions: Vec::new(),
            });
        };
        let tag_ids =
            tags::of_customers(db, who.tenant_id, &[customer_id]).await?.into_iter().map(|(_, t)| t.id.0).collect();
        let x = rules::explain(&r, &facts(&row, tag_ids, &defs, now));
        Ok(SegmentExplanation {
            segment_id: id,
            customer_id,
            kind: seg.kind,
            member: x.matched,
            match_mode: Some(if r.all { MatchMode::All } else { MatchMode::Any }),
            conditions: x
                .conditions
                .into_iter()
                .enumerate()
                .map(|(index, o)| ConditionOutcome {
                    index,
                    field: o.field,
                    op: o.op,
                    value: o.value,
                    matched: o.matched,
                    actual: o.actual,
                })
                .collect(),
        })
    }
}
