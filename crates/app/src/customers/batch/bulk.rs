//! A batch's locks, taken up front, and its fast path: new keys written with multi-row inserts.

use super::{Batch, BatchItem, MAX_MERGE_HOPS, UpsertResult, UpsertStatus, Upserted, prepare_new};
use crate::AppError;
use crate::batch::ItemResult;
use crate::customers::input::apply;
use crate::customers::records::{CHANGES, blank, insert_new_many, lock_keys, write_tags};
use crm_domain::ids::CustomerId;
use crm_store::customers::records::{self as customers, Customer};
use crm_store::platform::counters;
use crm_store::{DatabaseTransaction, TransactionTrait};
use std::collections::{BTreeMap, BTreeSet};

/// The fast path for the common case, a batch of customers the tenant does not know yet: the
/// keys are looked up in one query, every item whose key is new (and appears once in the batch)
/// is validated, and the valid ones are written with multi-row inserts in one savepoint, with the
/// change numbers reserved at once. Invalid items are answered here; everything else (known keys,
/// repeated keys, keys a concurrent batch wrote first) is left for the per-item path.
pub(super) async fn create_new_in_bulk(
    tx: &DatabaseTransaction,
    batch: &mut Batch<'_>,
    items: &[BatchItem],
    known: &BTreeSet<String>,
    out: &mut [Option<UpsertResult>],
) -> Result<(), AppError> {
    let who = batch.who;
    let mut occurrences: BTreeMap<&str, usize> = BTreeMap::new();
    for it in items {
        *occurrences.entry(it.external_id.as_str()).or_default() += 1;
    }
    let mut fresh: Vec<(usize, Customer, &BatchItem)> = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let key = item.external_id.as_str();
        if known.contains(key) || occurrences.get(key).copied().unwrap_or_default() > 1 {
            continue;
        }
        match prepare_new(tx, batch, item).await {
            Ok(row) => fresh.push((k, row, item)),
            Err(e) => out[k] = Some(ItemResult::failed(item.index, e)),
        }
    }
    if fresh.is_empty() {
        return Ok(());
    }
    let sp = tx.begin().await.map_err(crm_store::StoreError::from)?;
    let written = async {
        let n = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
        let last = counters::take(&sp, who.tenant_id, CHANGES, n).await?;
        let mut rows: Vec<Customer> = Vec::with_capacity(fresh.len());
        for (k, (_, row, _)) in fresh.iter().enumerate() {
            let mut row = row.clone();
            row.change_seq = last - n + 1 + i64::try_from(k).unwrap_or_default();
            rows.push(row);
        }
        let written = insert_new_many(&sp, who, &rows).await?;
        for (_, row, item) in fresh.iter().filter(|(_, r, _)| written.contains(&r.id)) {
            write_tags(&sp, who, row.id, item.input.tag_ids.as_deref()).await?;
        }
        Ok::<Vec<CustomerId>, AppError>(written)
    }
    .await;
    match written {
        Ok(written) => {
            sp.commit().await.map_err(crm_store::StoreError::from)?;
            for (k, row, item) in fresh.into_iter().filter(|(_, r, _)| written.contains(&r.id)) {
                out[k] = Some(ItemResult::ok(item.index, UpsertStatus::Created, Upserted { id: Some(row.id) }));
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
pub(super) async fn lock_batch(
    tx: &DatabaseTransaction,
    batch: &Batch<'_>,
    items: &[BatchItem],
) -> Result<BTreeSet<String>, AppError> {
    let who = batch.who;
    let tenant = who.tenant_id;
    let wanted: BTreeSet<String> = items.iter().map(|it| it.external_id.clone()).collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    let found = customers::find_external_many(tx, tenant, &batch.source, &wanted).await?;
    let by_key: BTreeMap<String, CustomerId> =
        found.iter().filter_map(|r| Some((r.external_id.clone()?, r.id))).collect();
    let mut rows: BTreeMap<CustomerId, Customer> = found.into_iter().map(|r| (r.id, r)).collect();
    for _ in 0..MAX_MERGE_HOPS {
        let next: Vec<CustomerId> =
            rows.values().filter_map(|r| r.merged_into).filter(|id| !rows.contains_key(id)).collect();
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
        let changed: Vec<Customer> = items
            .iter()
            .map(|item| {
                let mut row = resolve(&item.external_id).cloned().unwrap_or_else(|| blank(tenant, who));
                // Only the keys matter here; the item's own errors are reported when it runs.
                apply(&mut row, &item.input);
                row
            })
            .collect();
        lock_keys(tx, who, &changed.iter().collect::<Vec<_>>()).await?;
    }
    customers::lock_many(tx, tenant, &rows.into_keys().collect::<Vec<_>>()).await?;
    Ok(by_key.into_keys().collect())
}
