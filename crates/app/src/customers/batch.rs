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

use super::duplicates::{candidates, lock_keys, new_keys, refuse_new_duplicates, refuses};
use super::input::{CustomerInput, apply, required, same_content};
use super::records::{CHANGES, blank, check_owner, insert_new, insert_new_many, write_change, write_tags};
use super::tags::check_tags;
use crate::platform::custom_fields::Definitions;
use crate::{Access, App, AppError};
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::TenantId;
use crm_domain::platform::custom_fields::ObjectType;
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
        let refuse_duplicates = refuses(&tx, who.tenant_id).await?;
        let mut batch = Batch { who, source, seqs: ChangeSeqs::NONE, owners: BTreeSet::new(), defs, refuse_duplicates };
        let mut out: Vec<Option<ItemOutcome>> = (0..count).map(|_| None).collect();
        // Locks in the one order every customer write keeps: duplicate keys, then the customers
        // the batch will change (ascending id), then (per item, later) the change counter.
        let known = lock_batch(&tx, &batch, &items).await?;
        // Creating by key needs a tenant-wide scope (see `upsert_one`): others take the per-item path.
        if !batch.refuse_duplicates && who.scope == ScopeFilter::All {
            create_new_in_bulk(&tx, &mut batch, &items, &known, &mut out).await?;
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
    known: &BTreeSet<String>,
    out: &mut [Option<ItemOutcome>],
) -> Result<(), AppError> {
    let who = batch.who;
    let keys: Vec<Option<String>> = items.iter().enumerate().map(|(i, it)| item_key(i, it).ok()).collect();
    let mut occurrences: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys.iter().flatten() {
        *occurrences.entry(k.as_str()).or_default() += 1;
    }
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

/// Takes the batch's locks up front, in the one order every customer write keeps: under
/// `duplicate_policy: refuse` the duplicate keys every item would give its customer (taking them
/// item by item while the batch holds the change counter could wait on a create that waits on
/// the counter), then every customer the batch's keys name (and those merged ones resolve to),
/// ascending id; the change counter comes later, per item. Returns the keys the source already uses.
async fn lock_batch(
    tx: &DatabaseTransaction,
    batch: &Batch<'_>,
    items: &[BatchItem],
) -> Result<BTreeSet<String>, AppError> {
    let who = batch.who;
    let tenant = who.tenant_id;
    let wanted: BTreeSet<String> = items.iter().enumerate().filter_map(|(i, it)| item_key(i, it).ok()).collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    let found = customers::find_external_many(tx, tenant, &batch.source, &wanted).await?;
    let by_key: BTreeMap<String, Uuid> = found.iter().filter_map(|r| Some((r.external_id.clone()?, r.id))).collect();
    let mut rows: BTreeMap<Uuid, CustomerRow> = found.into_iter().map(|r| (r.id, r)).collect();
    for _ in 0..MAX_MERGE_HOPS {
        let next: Vec<Uuid> = rows.values().filter_map(|r| r.merged_into).filter(|id| !rows.contains_key(id)).collect();
        if next.is_empty() {
            break;
        }
        rows.extend(customers::find_many(tx, tenant, &next).await?.into_iter().map(|r| (r.id, r)));
    }
    if batch.refuse_duplicates {
        let resolve = |key: &str| {
            let mut row = by_key.get(key).and_then(|id| rows.get(id));
            for _ in 0..MAX_MERGE_HOPS {
                match row.and_then(|r| r.merged_into) {
                    Some(into) => row = rows.get(&into),
                    None => break,
                }
            }
            row
        };
        let changed: Vec<CustomerRow> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let base = item_key(i, item).ok().and_then(|k| resolve(&k).cloned());
                let mut row = base.unwrap_or_else(|| blank(tenant, who));
                // Only the keys matter here; the item's own errors are reported when it runs.
                let _ = apply(&mut row, &item.input, "");
                row
            })
            .collect();
        lock_keys(tx, who, &changed.iter().collect::<Vec<_>>()).await?;
    }
    customers::lock_many(tx, tenant, &rows.into_keys().collect::<Vec<_>>()).await?;
    Ok(by_key.into_keys().collect())
}

/// How many `merged_into` links a key follows to its surviving customer.
const MAX_MERGE_HOPS: usize = 8;

/// An item whose key the caller may not use: a key outside their data scope, or an unknown one
/// when their scope is narrower than the tenant (creating by key is tenant-wide).
const KEY_OUT_OF_SCOPE: AppError = AppError::Forbidden { code: "customer.key_out_of_scope", permission: None };

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
    for _ in 0..MAX_MERGE_HOPS {
        match existing.as_ref().and_then(|r| r.merged_into) {
            Some(into) => existing = customers::find(tx, who.tenant_id, into).await?,
            None => break,
        }
    }
    // A caller whose scope is not the whole tenant may use the keys of customers it sees; any
    // other key (someone else's, or one nobody has yet) answers the same, so a key's existence
    // outside the scope is not revealed. The key space is the tenant's, so creating by key needs
    // a tenant-wide scope.
    if who.scope != ScopeFilter::All {
        let visible = match &existing {
            Some(r) => customers::find_scoped(tx, who.tenant_id, &who.scope, r.id).await?.is_some(),
            None => false,
        };
        if !visible {
            return Err(KEY_OUT_OF_SCOPE);
        }
    }
    let mut errs = FieldErrors::default();
    match existing {
        Some(before) if before.deleted_at.is_some() => {
            // Never an update of a deleted row: a soft-deleted customer is restored first.
            Err(AppError::Conflict { code: "customer.deleted", field: Some(format!("{prefix}/external_id")) })
        }
        Some(before) => {
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
            if batch.refuse_duplicates && !new_keys(&before, &after).is_empty() {
                // Held since the batch began unless the customer changed in between.
                lock_keys(tx, who, &[&after]).await?;
                refuse_new_duplicates(tx, who, &before, &after).await?;
            }
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
