//! Batch upsert by `(source, external_id)`: up to 1000 items, each answered on its own; one bad
//! item never rejects the others, and re-sending the same batch changes nothing.
//!
//! New customers (keys the tenant does not know, each once in the batch) are validated one by one
//! and written together: multi-row inserts of the rows, their first grades and their audit
//! entries, with the change numbers reserved at once. Every other item (a known key, a key
//! repeated in the batch, or any item when the tenant refuses duplicates) runs in its own
//! savepoint: the key lookup, the row, its grade history and its audit entry. Per batch, not per
//! item: the owner checks (each owner is looked up once), the custom field definitions and the
//! duplicate policy.

use super::duplicates::candidates;
use super::input::{CustomerInput, apply, required, same_content};
use super::records::{CHANGES, blank, check_owner, insert_new, insert_new_many, write_change, write_tags};
use super::tags::check_tags;
use crate::platform::custom_fields::Definitions;
use crate::platform::settings;
use crate::{Access, App, AppError};
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::TenantId;
use crm_domain::platform::custom_fields::ObjectType;
use crm_domain::platform::settings::DuplicatePolicy;
use crm_domain::{FieldError, FieldErrors};
use crm_store::customers::records::{self as customers, CustomerRow};
use crm_store::platform::counters;
use crm_store::{DatabaseTransaction, ScopeFilter, TransactionTrait};
use std::collections::{BTreeMap, BTreeSet};
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

/// Change numbers reserved by this batch's transaction, handed out in item order. The counter
/// row stays locked until the batch commits, so the numbers still follow commit order; numbers
/// left unused are gaps, which the change feed allows.
#[derive(Debug, Clone, Copy)]
struct ChangeSeqs {
    next: i64,
    last: i64,
}

impl ChangeSeqs {
    const NONE: Self = Self { next: 1, last: 0 };

    /// The next number; when none is left, reserves `wanted` (the items still to come, this one
    /// included). The reservation is made inside the item's savepoint: if that rolls back, the
    /// counter update rolls back with it, and the caller puts back the copy it held before.
    async fn next(&mut self, tx: &DatabaseTransaction, tenant: TenantId, wanted: usize) -> Result<i64, AppError> {
        if self.next > self.last {
            let wanted = i64::try_from(wanted.max(1)).unwrap_or(1);
            let last = counters::take(tx, tenant, CHANGES, wanted).await?;
            *self = Self { next: last - wanted + 1, last };
        }
        let seq = self.next;
        self.next += 1;
        Ok(seq)
    }
}

/// What the items of one batch share.
struct Batch<'a> {
    who: &'a Access,
    source: String,
    seqs: ChangeSeqs,
    /// Owners already found to be users of the tenant.
    owners: BTreeSet<Uuid>,
    defs: Definitions,
    refuse_duplicates: bool,
}

impl App {
    pub async fn batch_upsert_customers(
        &self,
        who: &Access,
        source: &str,
        items: Vec<BatchItem>,
    ) -> Result<Vec<ItemOutcome>, AppError> {
        who.require("customers:write")?;
        let source = parse_text("/source", Some(source), crm_domain::limits::SOURCE)?
            .ok_or_else(|| FieldError::new("/source", "required"))?;
        if items.is_empty() || items.len() > MAX_BATCH {
            return Err(FieldError::new("/items", "range").with("min", 1).with("max", MAX_BATCH).into());
        }
        let count = items.len();
        let tx = self.store().begin_write().await?;
        let defs = Definitions::load(&tx, who.tenant_id, ObjectType::Customer).await?;
        let refuse_duplicates = settings::load(&tx, who.tenant_id).await?.duplicate_policy == DuplicatePolicy::Refuse;
        let mut batch = Batch { who, source, seqs: ChangeSeqs::NONE, owners: BTreeSet::new(), defs, refuse_duplicates };
        let mut out: Vec<Option<ItemOutcome>> = (0..count).map(|_| None).collect();
        if !batch.refuse_duplicates {
            create_new_in_bulk(&tx, &mut batch, &items, &mut out).await?;
        }
        for (i, item) in items.into_iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            // Each item in its own savepoint: a failure rolls back that item only.
            // A concurrent batch may insert the same key between our read and our insert; the
            // unique index refuses ours, and the second attempt finds theirs and updates it.
            let mut attempt = 0;
            loop {
                let seqs = batch.seqs;
                let sp = tx.begin().await.map_err(crm_store::StoreError::from)?;
                match upsert_one(&sp, &mut batch, i, count - i, item.clone()).await {
                    Ok(o) => {
                        sp.commit().await.map_err(crm_store::StoreError::from)?;
                        out[i] = Some(o);
                        break;
                    }
                    Err(e) => {
                        sp.rollback().await.map_err(crm_store::StoreError::from)?;
                        batch.seqs = seqs;
                        if matches!(e, AppError::Conflict { .. }) && attempt == 0 {
                            attempt += 1;
                            continue;
                        }
                        out[i] = Some(ItemOutcome::Failed(e));
                        break;
                    }
                }
            }
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(out
            .into_iter()
            .map(|o| o.unwrap_or_else(|| ItemOutcome::Failed(AppError::Internal("item not run".to_owned()))))
            .collect())
    }
}

/// The fast path for the common case, a batch of customers the tenant does not know yet: the
/// keys are looked up in one query, every item whose key is new (and appears once in the batch)
/// is validated, and the valid ones are written with multi-row inserts in one savepoint, with the
/// change numbers reserved at once. Invalid items are answered here; everything else (known keys,
/// repeated keys) is left for the per-item path. If a concurrent batch inserted one of the keys
/// first, the savepoint rolls back and those items take the per-item path too, which retries.
async fn create_new_in_bulk(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    items: &[BatchItem],
    out: &mut [Option<ItemOutcome>],
) -> Result<(), AppError> {
    let who = batch.who;
    let keys: Vec<Option<String>> = items.iter().enumerate().map(|(i, it)| item_key(i, it).ok()).collect();
    let mut occurrences: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys.iter().flatten() {
        *occurrences.entry(k.as_str()).or_default() += 1;
    }
    let wanted: Vec<String> = occurrences.keys().map(|k| (*k).to_owned()).collect();
    let known: BTreeSet<String> = customers::find_external_many(tx, who.tenant_id, &batch.source, &wanted)
        .await?
        .into_iter()
        .filter_map(|r| r.external_id)
        .collect();
    let mut fresh: Vec<(usize, CustomerRow, Option<Vec<Uuid>>)> = Vec::new();
    for (i, (item, key)) in items.iter().zip(&keys).enumerate() {
        let Some(key) = key else { continue };
        if known.contains(key) || occurrences.get(key.as_str()).copied().unwrap_or_default() > 1 {
            continue;
        }
        let mut input = item.input.clone();
        input.source = None;
        match prepare_new(tx, batch, &format!("/items/{i}"), key.clone(), &input).await {
            Ok(row) => fresh.push((i, row, input.tag_ids)),
            Err(e) => out[i] = Some(ItemOutcome::Failed(e)),
        }
    }
    if fresh.is_empty() {
        return Ok(());
    }
    let sp = tx.begin().await.map_err(crm_store::StoreError::from)?;
    let written = async {
        let n = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
        let last = counters::take(&sp, who.tenant_id, CHANGES, n).await?;
        let mut rows: Vec<CustomerRow> = Vec::with_capacity(fresh.len());
        for (k, (_, row, _)) in fresh.iter().enumerate() {
            let mut row = row.clone();
            row.change_seq = last - n + 1 + i64::try_from(k).unwrap_or_default();
            rows.push(row);
        }
        insert_new_many(&sp, who, &rows).await?;
        for (_, row, tags) in &fresh {
            write_tags(&sp, who, row.id, tags.as_deref()).await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match written {
        Ok(()) => {
            sp.commit().await.map_err(crm_store::StoreError::from)?;
            for (i, row, _) in fresh {
                out[i] = Some(ItemOutcome::Created(row.id));
            }
            Ok(())
        }
        Err(AppError::Conflict { .. }) => {
            sp.rollback().await.map_err(crm_store::StoreError::from)?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// An item's `external_id`, trimmed and checked.
fn item_key(i: usize, item: &BatchItem) -> Result<String, AppError> {
    let field = format!("/items/{i}/external_id");
    Ok(parse_text(&field, Some(&item.external_id), crm_domain::limits::EXTERNAL_ID)?
        .ok_or_else(|| FieldError::new(field, "required"))?)
}

/// One item, inside its savepoint; `remaining` counts it and the items after it.
async fn upsert_one(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    i: usize,
    remaining: usize,
    item: BatchItem,
) -> Result<ItemOutcome, AppError> {
    let who = batch.who;
    let prefix = format!("/items/{i}");
    let external_id = item_key(i, &item)?;
    let mut input = item.input;
    // The batch's source is the key's; an item cannot move itself to another source.
    input.source = None;
    let mut existing = customers::find_external(tx, who.tenant_id, &batch.source, &external_id).await?;
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
            // The key found a customer; the caller may change it only inside their data scope
            // (which is the whole tenant for a caller whose scope is `All`).
            if who.scope != ScopeFilter::All
                && customers::find_scoped(tx, who.tenant_id, &who.scope, before.id).await?.is_none()
            {
                return Err(AppError::Forbidden { code: "customer.out_of_scope", permission: None });
            }
            let mut after = before.clone();
            if let Err(e) = apply(&mut after, &input, &prefix) {
                errs.0.extend(e.0);
            }
            if input.custom_fields.is_some() {
                match batch.defs.apply(who, &after.custom_fields, input.custom_fields.as_ref(), &prefix, false) {
                    Ok(c) => after.custom_fields = c,
                    Err(e) => errs.0.extend(e.0),
                }
            }
            if input.owner_id.is_some() {
                check_owner_once(tx, batch, &after, &format!("{prefix}/owner_id"), &mut errs).await?;
            }
            if let Some(t) = &input.tag_ids {
                check_tags(tx, who, t, &format!("{prefix}/tag_ids"), &mut errs).await?;
            }
            errs.into_result()?;
            let id = before.id;
            let changed = !same_content(&before, &after);
            if changed {
                after.change_seq = batch.seqs.next(tx, who.tenant_id, remaining).await?;
                write_change(tx, who, before, after, "update").await?;
            }
            write_tags(tx, who, id, input.tag_ids.as_deref()).await?;
            Ok(if changed { ItemOutcome::Updated(id) } else { ItemOutcome::Unchanged(id) })
        }
        None => {
            let tag_ids = input.tag_ids.clone();
            let mut row = prepare_new(tx, batch, &prefix, external_id, &input).await?;
            if batch.refuse_duplicates {
                let found = candidates(tx, who, &row).await?;
                if !found.is_empty() {
                    return Err(AppError::Duplicate { candidates: found });
                }
            }
            row.change_seq = batch.seqs.next(tx, who.tenant_id, remaining).await?;
            insert_new(tx, who, &row).await?;
            write_tags(tx, who, row.id, tag_ids.as_deref()).await?;
            Ok(ItemOutcome::Created(row.id))
        }
    }
}

/// The row of a new customer from an item, validated (reads only: owners, tags).
async fn prepare_new(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    prefix: &str,
    external_id: String,
    input: &CustomerInput,
) -> Result<CustomerRow, AppError> {
    let who = batch.who;
    let mut errs = FieldErrors::default();
    let mut row = blank(who.tenant_id, who);
    row.source = Some(batch.source.clone());
    row.external_id = Some(external_id);
    if input.name.is_none() {
        errs.push(required(format!("{prefix}/name")));
    }
    if let Err(e) = apply(&mut row, input, prefix) {
        errs.0.extend(e.0);
    }
    match batch.defs.apply(who, &row.custom_fields, input.custom_fields.as_ref(), prefix, true) {
        Ok(c) => row.custom_fields = c,
        Err(e) => errs.0.extend(e.0),
    }
    check_owner_once(tx, batch, &row, &format!("{prefix}/owner_id"), &mut errs).await?;
    if let Some(t) = &input.tag_ids {
        check_tags(tx, who, t, &format!("{prefix}/tag_ids"), &mut errs).await?;
    }
    errs.into_result()?;
    Ok(row)
}

/// `records::check_owner`, asking the database once per owner and batch.
async fn check_owner_once(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    row: &CustomerRow,
    field: &str,
    errs: &mut FieldErrors,
) -> Result<(), AppError> {
    let Some(owner) = row.owner_id.filter(|o| !batch.owners.contains(o)) else { return Ok(()) };
    let mut found = FieldErrors::default();
    check_owner(tx, batch.who.tenant_id, row, field, &mut found).await?;
    if found.0.is_empty() {
        batch.owners.insert(owner);
    }
    errs.0.extend(found.0);
    Ok(())
}
