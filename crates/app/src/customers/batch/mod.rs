//! Batch upsert by `(source, external_id)`: up to [`MAX_ITEMS`](crate::batch::MAX_ITEMS) items, each answered on its own
//! under its index in the request; one bad item never rejects the others, and re-sending the
//! same batch changes nothing.
//!
//! New customers (keys the tenant does not know, each once in the batch) are validated one by one
//! and written together: multi-row inserts of the rows (`ON CONFLICT DO NOTHING`: a key a
//! concurrent batch wrote first is left to the per-item path), their first grades and their audit
//! entries, with the change numbers reserved at once. Every other item (a known key, a key
//! repeated in the batch, or any item when the tenant refuses duplicates) runs in its own
//! savepoint: the key lookup, the row, its grade history and its audit entry. Per batch, not per
//! item: the owner checks (each owner is looked up once), the custom field definitions and the
//! duplicate policy.

mod bulk;

use super::input::{CustomerInput, apply, required, same_content};
use super::records::{
    CHANGES, blank, candidates, check_owner, external_id_taken, insert_new, lock_keys, new_keys, refuse_new_duplicates,
    refuses, write_change, write_tags,
};
use super::tags::check_tags;
use crate::batch::{ItemResult, check_size};
use crate::codes::Code;
use crate::platform::custom_fields::Definitions;
use crate::{Access, App, AppError};
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{CustomerId, TenantId, UserId};
use crm_domain::platform::custom_fields::ObjectType;
use crm_domain::{FieldError, FieldErrors};
use crm_store::Insertion;
use crm_store::customers::records::{self as customers, Customer};
use crm_store::platform::counters;
use crm_store::{DatabaseTransaction, ScopeFilter, TransactionTrait};
use serde::Serialize;
use std::collections::BTreeSet;

/// One item: its index in the request, the source system's id for the customer (trimmed, 1 to
/// 128 characters) and the fields it sends.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub index: usize,
    pub external_id: String,
    pub input: CustomerInput,
}

/// What happened to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UpsertStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// The customer an item created or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Upserted {
    /// The customer; absent when the item failed (always there otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<CustomerId>,
}

/// One item's result.
pub type UpsertResult = ItemResult<UpsertStatus, Upserted>;

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
    owners: BTreeSet<UserId>,
    defs: Definitions,
    refuse_duplicates: bool,
}

impl App {
    /// Upserts `items` (those of the request that could be read, each with its request index).
    pub async fn batch_upsert_customers(
        &self,
        who: &Access,
        source: &str,
        items: Vec<BatchItem>,
    ) -> Result<Vec<UpsertResult>, AppError> {
        who.require("customers:write")?;
        let source = parse_text("/source", Some(source), crm_domain::limits::SOURCE)?
            .ok_or_else(|| FieldError::new("/source", "required"))?;
        check_size("/items", items.len())?;
        let count = items.len();
        let tx = self.store().begin_write().await?;
        let defs = Definitions::current(&tx, who, ObjectType::Customer).await?;
        let refuse_duplicates = refuses(&tx, who).await?;
        let mut batch = Batch { who, source, seqs: ChangeSeqs::NONE, owners: BTreeSet::new(), defs, refuse_duplicates };
        let mut out: Vec<Option<UpsertResult>> = (0..count).map(|_| None).collect();
        // Locks in the one order every customer write keeps: duplicate keys, then the customers
        // the batch will change (ascending id), then (per item, later) the change counter.
        let known = bulk::lock_batch(&tx, &batch, &items).await?;
        // Creating by key needs a tenant-wide scope (see `upsert_one`): others take the per-item path.
        if !batch.refuse_duplicates && who.scope == ScopeFilter::All {
            bulk::create_new_in_bulk(&tx, &mut batch, &items, &known, &mut out).await?;
        }
        for (k, item) in items.iter().enumerate() {
            if out[k].is_some() {
                continue;
            }
            out[k] = Some(run_item(&tx, &mut batch, item, count - k).await?);
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(out
            .into_iter()
            .zip(&items)
            .map(|(o, item)| {
                o.unwrap_or_else(|| ItemResult::failed(item.index, AppError::Internal("item not run".to_owned())))
            })
            .collect())
    }
}

/// One item in its own savepoint: a failure rolls back that item only. A concurrent batch may
/// insert the same key between our read and our insert: ours then finds the key taken (nothing
/// written), and the second attempt finds theirs and updates it. A change that meets a concurrent
/// change of the same customer is tried once more too.
async fn run_item(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    item: &BatchItem,
    remaining: usize,
) -> Result<UpsertResult, AppError> {
    let mut attempt = 0;
    loop {
        let seqs = batch.seqs;
        let sp = tx.begin().await.map_err(crm_store::StoreError::from)?;
        let outcome = upsert_one(&sp, batch, item, remaining).await;
        if let Ok(Some((status, id))) = outcome {
            sp.commit().await.map_err(crm_store::StoreError::from)?;
            return Ok(ItemResult::ok(item.index, status, Upserted { id: Some(id) }));
        }
        sp.rollback().await.map_err(crm_store::StoreError::from)?;
        batch.seqs = seqs;
        let error = match outcome {
            Ok(_) => external_id_taken(),
            Err(e) => e,
        };
        if attempt == 0 && matches!(error, AppError::Conflict { .. }) {
            attempt += 1;
            continue;
        }
        return Ok(ItemResult::failed(item.index, error));
    }
}

/// How many `merged_into` links a key follows to its surviving customer.
const MAX_MERGE_HOPS: usize = 8;

/// An item whose key the caller may not use: a key outside their data scope, or an unknown one
/// when their scope is narrower than the tenant (creating by key is tenant-wide).
const KEY_OUT_OF_SCOPE: AppError = AppError::Forbidden { code: Code::CustomerKeyOutOfScope, permission: None };

/// One item, inside its savepoint; `remaining` counts it and the items after it. `None`: the key
/// was new when read, but a concurrent batch wrote it first (nothing was written; run it again).
async fn upsert_one(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    item: &BatchItem,
    remaining: usize,
) -> Result<Option<(UpsertStatus, CustomerId)>, AppError> {
    let who = batch.who;
    let prefix = format!("/items/{}", item.index);
    let mut existing = customers::find_external(tx, who.tenant_id, &batch.source, &item.external_id).await?;
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
    let Some(before) = existing else {
        let mut row = prepare_new(tx, batch, item).await?;
        if batch.refuse_duplicates {
            let found = candidates(tx, who, &row).await?;
            if !found.is_empty() {
                return Err(AppError::Duplicate { candidates: found });
            }
        }
        row.change_seq = batch.seqs.next(tx, who.tenant_id, remaining).await?;
        if insert_new(tx, who, &row).await? == Insertion::AlreadyThere {
            return Ok(None);
        }
        write_tags(tx, who, row.id, item.input.tag_ids.as_deref()).await?;
        return Ok(Some((UpsertStatus::Created, row.id)));
    };
    if before.deleted_at.is_some() {
        // Never an update of a deleted row: a soft-deleted customer is restored first.
        return Err(AppError::Conflict { code: Code::CustomerDeleted, field: Some(format!("{prefix}/external_id")) });
    }
    let input = of_source(&item.input);
    let mut errs = FieldErrors(input.invalid_under(&prefix));
    let mut after = before.clone();
    apply(&mut after, &input);
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
    Ok(Some((if changed { UpsertStatus::Updated } else { UpsertStatus::Unchanged }, id)))
}

/// An item's fields without `source`: the batch's source is the key's, so an item cannot move
/// itself to another source.
fn of_source(input: &CustomerInput) -> CustomerInput {
    CustomerInput { source: None, ..input.clone() }
}

/// The record of a new customer from an item, validated (reads only: owners, tags).
async fn prepare_new(tx: &DatabaseTransaction, batch: &mut Batch<'_>, item: &BatchItem) -> Result<Customer, AppError> {
    let who = batch.who;
    let prefix = format!("/items/{}", item.index);
    let input = of_source(&item.input);
    let mut errs = FieldErrors(input.invalid_under(&prefix));
    let mut row = blank(who.tenant_id, who);
    row.source = Some(batch.source.clone());
    row.external_id = Some(item.external_id.clone());
    if input.lacks_name() {
        errs.push(required(format!("{prefix}/name")));
    }
    apply(&mut row, &input);
    match batch.defs.apply(who, &row.custom_fields, input.custom_fields.as_ref(), &prefix, true) {
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
    row: &Customer,
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
