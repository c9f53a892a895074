//! Batch upsert by `(source, external_id)`: up to 1000 items, each answered on its own; one bad
//! item never rejects the others, and re-sending the same batch changes nothing.

use super::duplicates::candidates;
use super::input::{CustomerInput, apply, required};
use super::records::{blank, check_owner, write_change, write_new, write_tags};
use super::tags::check_tags;
use crate::platform::custom_fields::Definitions;
use crate::platform::settings;
use crate::{Access, App, AppError};
use crm_domain::customers::customer::parse_text;
use crm_domain::platform::custom_fields::ObjectType;
use crm_domain::platform::settings::DuplicatePolicy;
use crm_domain::{FieldError, FieldErrors};
use crm_store::TransactionTrait;
use crm_store::customers::records as customers;
use uuid::Uuid;

/// The most items one batch may carry.
pub const MAX_BATCH: usize = 1000;

/// One item: the source system's id and the fields it sends.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub external_id: String,
    pub input: CustomerInput,
}

/// What happened to one item.
#[derive(Debug)]
pub enum ItemOutcome {
    Created(Uuid),
    Updated(Uuid),
    Unchanged(Uuid),
    Failed(AppError),
}

impl App {
    pub async fn batch_upsert_customers(
        &self,
        who: &Access,
        source: &str,
        items: Vec<BatchItem>,
    ) -> Result<Vec<ItemOutcome>, AppError> {
        who.require("customers:write")?;
        let source = parse_text("/source", Some(source), 64)?.ok_or_else(|| FieldError::new("/source", "required"))?;
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(FieldError::new("/items", "range").with("min", 1).with("max", MAX_BATCH).into());
        }
        let tx = self.store().begin_write().await?;
        let defs = Definitions::load(&tx, who.tenant_id, ObjectType::Customer).await?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            // Each item in its own savepoint: a failure rolls back that item only.
            // A concurrent batch may insert the same key between our read and our insert; the
            // unique index refuses ours, and the second attempt finds theirs and updates it.
            let mut attempt = 0;
            loop {
                let sp = tx.begin().await.map_err(crm_store::StoreError::from)?;
                match self.upsert_one(&sp, who, &defs, &source, i, item.clone()).await {
                    Ok(o) => {
                        sp.commit().await.map_err(crm_store::StoreError::from)?;
                        out.push(o);
                        break;
                    }
                    Err(AppError::Conflict { .. }) if attempt == 0 => {
                        sp.rollback().await.map_err(crm_store::StoreError::from)?;
                        attempt += 1;
                    }
                    Err(e) => {
                        sp.rollback().await.map_err(crm_store::StoreError::from)?;
                        out.push(ItemOutcome::Failed(e));
                        break;
                    }
                }
            }
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(out)
    }

    async fn upsert_one(
        &self,
        tx: &crm_store::DatabaseTransaction,
        who: &Access,
        defs: &Definitions,
        source: &str,
        i: usize,
        item: BatchItem,
    ) -> Result<ItemOutcome, AppError> {
        let prefix = format!("/items/{i}");
        let external_id = parse_text(&format!("{prefix}/external_id"), Some(&item.external_id), 128)?
            .ok_or_else(|| FieldError::new(format!("{prefix}/external_id"), "required"))?;
        let mut input = item.input;
        // The batch's source is the key's; an item cannot move itself to another source.
        input.source = None;
        let mut existing = customers::find_external(tx, who.tenant_id, source, &external_id).await?;
        // A merged customer's key resolves to the customer it was merged into.
        for _ in 0..8 {
            match existing.as_ref().and_then(|r| r.merged_into) {
                Some(into) => existing = customers::find(tx, who.tenant_id, into).await?,
                None => break,
            }
        }
        let mut errs = FieldErrors::default();
        match existing {
            Some(before) => {
                // The key found a customer; the caller may change it only inside their data scope.
                if customers::find_scoped(tx, who.tenant_id, &who.scope, before.id).await?.is_none() {
                    return Err(AppError::Forbidden { code: "customer.out_of_scope", permission: None });
                }
                let mut after = before.clone();
                if let Err(e) = apply(&mut after, &input, &prefix) {
                    errs.0.extend(e.0);
                }
                if input.custom_fields.is_some() {
                    match defs.apply(who, &after.custom_fields, input.custom_fields.as_ref(), &prefix, false) {
                        Ok(c) => after.custom_fields = c,
                        Err(e) => errs.0.extend(e.0),
                    }
                }
                if input.owner_id.is_some() {
                    check_owner(tx, who.tenant_id, &after, &format!("{prefix}/owner_id"), &mut errs).await?;
                }
                if let Some(t) = &input.tag_ids {
                    check_tags(tx, who, t, &format!("{prefix}/tag_ids"), &mut errs).await?;
                }
                errs.into_result()?;
                let (row, changed) = write_change(tx, who, before, after, "update").await?;
                write_tags(tx, who, row.id, input.tag_ids.as_deref()).await?;
                Ok(if changed { ItemOutcome::Updated(row.id) } else { ItemOutcome::Unchanged(row.id) })
            }
            None => {
                let mut row = blank(who.tenant_id, who);
                row.source = Some(source.to_owned());
                row.external_id = Some(external_id);
                if input.name.is_none() {
                    errs.push(required(format!("{prefix}/name")));
                }
                if let Err(e) = apply(&mut row, &input, &prefix) {
                    errs.0.extend(e.0);
                }
                match defs.apply(who, &row.custom_fields, input.custom_fields.as_ref(), &prefix, true) {
                    Ok(c) => row.custom_fields = c,
                    Err(e) => errs.0.extend(e.0),
                }
                check_owner(tx, who.tenant_id, &row, &format!("{prefix}/owner_id"), &mut errs).await?;
                if let Some(t) = &input.tag_ids {
                    check_tags(tx, who, t, &format!("{prefix}/tag_ids"), &mut errs).await?;
                }
                errs.into_result()?;
                if settings::load(tx, who.tenant_id).await?.duplicate_policy == DuplicatePolicy::Refuse {
                    let found = candidates(tx, who, &row).await?;
                    if !found.is_empty() {
                        return Err(AppError::Duplicate { candidates: found });
                    }
                }
                let row = write_new(tx, who, row).await?;
                write_tags(tx, who, row.id, input.tag_ids.as_deref()).await?;
                Ok(ItemOutcome::Created(row.id))
            }
        }
    }
}
