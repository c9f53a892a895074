//! 查重与合并: probable duplicates of a new customer (a warning, or a refusal when the tenant says
//! so), the candidate groups of existing customers, and the merge that moves everything of the
//! duplicates onto one customer in one transaction, recording what came from where.

use super::records::{views, write_change};
use super::view::CustomerView;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::Utc;
use crm_domain::customers::Phone;
use crm_domain::customers::customer::mask_id_number;
use crm_domain::customers::duplicates::{DuplicateKeys, DuplicateReason};
use crm_domain::{FieldError, FieldErrors};
use crm_store::customers::records::{self as customers, CustomerRow};
use crm_store::customers::{duplicates as store, merge};
use crm_store::membership::person_locks;
use crm_store::platform::custom_fields as custom_values;
use crm_store::{ConnectionTrait, StoreError};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The most candidates reported for one customer, and customers listed per group.
const MAX_CANDIDATES: u64 = 20;
const MAX_GROUP: u64 = 50;
/// The most duplicates one merge takes.
pub const MAX_MERGE: usize = 20;
const NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };

/// An existing customer a new one probably duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateCandidate {
    /// `None` when the caller's data scope does not show that customer.
    pub customer_id: Option<Uuid>,
    pub reasons: Vec<DuplicateReason>,
}

/// A group of customers that share a key.
#[derive(Debug, Clone)]
pub struct DuplicateGroup {
    pub reason: DuplicateReason,
    /// The shared value (phone and id number masked unless the caller may see them).
    pub key: String,
    pub customers: Vec<CustomerView>,
}

/// A page of groups.
#[derive(Debug, Clone)]
pub struct DuplicateGroups {
    pub items: Vec<DuplicateGroup>,
    pub next_cursor: Option<String>,
}

pub(crate) fn keys_of(r: &CustomerRow) -> DuplicateKeys {
    DuplicateKeys {
        phone: r.phone.clone(),
        email: r.email.clone(),
        id_number: r.id_number.clone(),
        name_pinyin: r.name_pinyin.clone(),
        company_key: r.company_key.clone(),
    }
}

/// The probable duplicates of `row` among the tenant's live customers.
pub(crate) async fn candidates(
    c: &impl ConnectionTrait,
    who: &Access,
    row: &CustomerRow,
) -> Result<Vec<DuplicateCandidate>, AppError> {
    let keys = keys_of(row);
    let mut out = Vec::new();
    for other in store::candidates(c, who.tenant_id, &keys, Some(row.id), MAX_CANDIDATES).await? {
        let reasons = keys.reasons(&keys_of(&other));
        if reasons.is_empty() {
            continue;
        }
        let visible = customers::find_scoped(c, who.tenant_id, &who.scope, other.id).await?.is_some();
        out.push(DuplicateCandidate { customer_id: visible.then_some(other.id), reasons });
    }
    Ok(out)
}

/// The keys of `row` that duplicate refusal is decided on, as `person` key-lock names: the
/// phone (E.164), email and id number as stored (the same strings membership approval locks for
/// the same person), and the company key with the name pinyin.
fn person_keys(row: &CustomerRow) -> Vec<String> {
    let keys = keys_of(row);
    DuplicateReason::ALL.into_iter().filter_map(|r| keys.key(r)).collect()
}

/// The reasons on which `after` has a key that `before` did not have (what a change could make
/// a new duplicate on).
pub(crate) fn new_keys(before: &CustomerRow, after: &CustomerRow) -> Vec<DuplicateReason> {
    let (b, a) = (keys_of(before), keys_of(after));
    DuplicateReason::ALL.into_iter().filter(|r| a.key(*r).is_some_and(|k| b.key(*r) != Some(k))).collect()
}

/// Under `duplicate_policy: refuse`, refuses a change that gives the customer a key another live
/// customer has (keys it had already are not held against it). Lock the keys first.
pub(crate) async fn refuse_new_duplicates(
    tx: &crm_store::DatabaseTransaction,
    who: &Access,
    before: &CustomerRow,
    after: &CustomerRow,
) -> Result<(), AppError> {
    let new = new_keys(before, after);
    if new.is_empty() {
        return Ok(());
    }
    let found: Vec<DuplicateCandidate> = candidates(tx, who, after)
        .await?
        .into_iter()
        .filter_map(|mut c| {
            c.reasons.retain(|r| new.contains(r));
            (!c.reasons.is_empty()).then_some(c)
        })
        .collect();
    if found.is_empty() { Ok(()) } else { Err(AppError::Duplicate { candidates: found }) }
}

/// Whether the tenant refuses probable duplicates (`duplicate_policy: refuse`), read in the
/// transaction that decides under the key locks.
pub(crate) async fn refuses(c: &impl ConnectionTrait, tenant: crm_domain::ids::TenantId) -> Result<bool, AppError> {
    Ok(crate::platform::settings::load(c, tenant).await?.duplicate_policy
        == crm_domain::platform::settings::DuplicatePolicy::Refuse)
}

/// Locks the duplicate keys of every row for the rest of the transaction (all at once, in one
/// sorted order), so that "no live customer has this key, so insert" is decided by one
/// transaction at a time. Taken before any customer row lock.
pub(crate) async fn lock_keys(
    tx: &crm_store::DatabaseTransaction,
    who: &Access,
    rows: &[&CustomerRow],
) -> Result<(), AppError> {
    let keys: Vec<String> = rows.iter().flat_map(|r| person_keys(r)).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    Ok(person_locks::lock(tx, who.tenant_id, &keys).await?)
}

fn shown_key(who: &Access, reason: DuplicateReason, key: &[String]) -> String {
    let pii = who.permissions.contains(super::view::PII);
    match (reason, key) {
        (DuplicateReason::Phone, [p]) if !pii => Phone::from_e164(p).masked(),
        (DuplicateReason::IdNumber, [i]) if !pii => mask_id_number(i),
        _ => key.join(" / "),
    }
}

fn encode_cursor(reason: DuplicateReason, key: &[String]) -> String {
    json!([reason.as_str(), key]).to_string()
}

fn decode_cursor(raw: &str) -> Result<(DuplicateReason, Vec<String>), FieldError> {
    let bad = || FieldError::new("/cursor", "cursor_invalid");
    let v: Value = serde_json::from_str(raw).map_err(|_| bad())?;
    let reason = v.get(0).and_then(Value::as_str).and_then(DuplicateReason::parse).ok_or_else(bad)?;
    let key: Vec<String> = v
        .get(1)
        .and_then(Value::as_array)
        .ok_or_else(bad)?
        .iter()
        .map(|k| k.as_str().filter(|k| !k.contains('\0')).map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    Ok((reason, key))
}

/// Fills the survivor's empty fields from a duplicate; returns the names of the fields filled.
fn fill_empty(target: &mut CustomerRow, dup: &CustomerRow) -> Vec<&'static str> {
    let mut filled = Vec::new();
    macro_rules! fill {
        ($($f:ident),*) => {$(
            if target.$f.is_none() && dup.$f.is_some() {
                target.$f = dup.$f.clone();
                filled.push(stringify!($f));
            }
        )*};
    }
    fill!(email, gender, birthday, id_number, company, province, city, district, address, industry, level, notes);
    if target.phone.is_none() && dup.phone.is_some() {
        target.phone = dup.phone.clone();
        target.phone_last4 = dup.phone_last4.clone();
        filled.push("phone");
    }
    if target.company_key.is_none() {
        target.company_key = dup.company_key.clone();
    }
    // Custom field values the survivor lacks.
    let mut mine: Map<String, Value> = serde_json::from_str(&target.custom_fields).unwrap_or_default();
    let theirs: Map<String, Value> = serde_json::from_str(&dup.custom_fields).unwrap_or_default();
    let mut custom = false;
    for (k, v) in theirs {
        if !mine.contains_key(&k) {
            mine.insert(k, v);
            custom = true;
        }
    }
    if custom {
        target.custom_fields = Value::Object(mine).to_string();
        filled.push("custom_fields");
    }
    if dup.last_interaction_at > target.last_interaction_at {
        target.last_interaction_at = dup.last_interaction_at;
    }
    filled
}

/// A merge answers this when a customer it names was merged meanwhile (or before): the field
/// names the duplicate, no field means the target.
fn merge_conflict(field: Option<String>) -> AppError {
    AppError::Conflict { code: "customer.merge_conflict", field }
}

/// Locks the target and the duplicates (ascending id, one statement, the order every merge
/// uses), then checks them under the lock: each must be live and in the caller's scope, and none
/// merged already. Of two crossed merges (X into Y and Y into X) the second waits here, then finds
/// its target or duplicate merged: a 409, never two merges of one pair or a deadlock.
async fn lock_for_merge(
    tx: &crm_store::DatabaseTransaction,
    who: &Access,
    target: Uuid,
    duplicate_ids: &[Uuid],
) -> Result<(CustomerRow, Vec<CustomerRow>), AppError> {
    let mut ids = duplicate_ids.to_vec();
    ids.push(target);
    let mut rows: std::collections::BTreeMap<Uuid, CustomerRow> =
        customers::lock_many(tx, who.tenant_id, &ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let mut take = async |id: Uuid| -> Result<Option<CustomerRow>, AppError> {
        let Some(row) = rows.remove(&id) else { return Ok(None) };
        let visible = customers::find_scoped(tx, who.tenant_id, &who.scope, id).await?.is_some();
        Ok(visible.then_some(row))
    };
    let before = take(target).await?.ok_or(NOT_FOUND)?;
    if before.merged_into.is_some() {
        return Err(merge_conflict(None));
    }
    if before.deleted_at.is_some() {
        return Err(NOT_FOUND);
    }
    let mut dups = Vec::with_capacity(duplicate_ids.len());
    let mut errs = FieldErrors::default();
    for (i, d) in duplicate_ids.iter().enumerate() {
        match take(*d).await? {
            Some(r) if r.merged_into.is_some() => return Err(merge_conflict(Some(format!("/duplicate_ids/{i}")))),
            Some(r) if r.deleted_at.is_none() => dups.push(r),
            _ => errs.push(FieldError::new(format!("/duplicate_ids/{i}"), "not_found")),
        }
    }
    errs.into_result()?;
    Ok((before, dups))
}

impl App {
    /// Groups of live customers (within the caller's scope) sharing a phone, email, id number, or
    /// name pinyin at the same company; optionally of one reason.
    pub async fn list_duplicates(
        &self,
        who: &Access,
        reason: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<DuplicateGroups, AppError> {
        who.require("customers:read")?;
        let mut errs = FieldErrors::default();
        let only = match reason {
            Some(r) => errs.check(DuplicateReason::parse(r).ok_or_else(|| FieldError::new("/reason", "invalid_value"))),
            None => None,
        };
        let after = cursor.map(decode_cursor).transpose();
        let after = errs.check(after).flatten();
        let limit = u64::from(limit.unwrap_or(20));
        if !(1..=100).contains(&limit) {
            errs.push(FieldError::new("/limit", "range").with("min", 1).with("max", 100));
        }
        errs.into_result()?;
        let db = self.store().conn();
        let reasons: Vec<DuplicateReason> = match only {
            Some(r) => vec![r],
            None => DuplicateReason::ALL.to_vec(),
        };
        let mut items = Vec::new();
        let mut last: Option<(DuplicateReason, Vec<String>)> = None;
        let mut more = false;
        for r in reasons {
            // Reasons come in a fixed order; the cursor's reason and those before it are done.
            let from = match &after {
                Some((ar, _)) if r < *ar => continue,
                Some((ar, key)) if r == *ar => Some(key.as_slice()),
                _ => None,
            };
            let want = limit - items.len() as u64;
            let keys = store::group_keys(db, who.tenant_id, &who.scope, r, from, want + 1).await?;
            for key in keys {
                if items.len() as u64 == limit {
                    more = true;
                    break;
                }
                let rows = store::group_members(db, who.tenant_id, &who.scope, r, &key, MAX_GROUP).await?;
                items.push(DuplicateGroup {
                    reason: r,
                    key: shown_key(who, r, &key),
                    customers: views(db, who, rows).await?,
                });
                last = Some((r, key));
            }
            if more || items.len() as u64 == limit {
                more = true;
                break;
            }
        }
        let next_cursor = if more { last.map(|(r, k)| encode_cursor(r, &k)) } else { None };
        Ok(DuplicateGroups { items, next_cursor })
    }

    /// Merges `duplicate_ids` into `target`: contacts, interactions, grade history, tags, static
    /// segment memberships, custom values, memberships and enrollment applications move (409
    /// `customer.merge_both_members` when both are members); empty fields of the survivor are filled from the
    /// duplicates; each duplicate is deleted with `merged_into` set (its external id keeps
    /// resolving to the survivor). One transaction, holding the locks of every customer named; 409
    /// `customer.merge_conflict` when one of them is merged already. Audited on both sides.
    pub async fn merge_customers(
        &self,
        who: &Access,
        target: Uuid,
        duplicate_ids: &[Uuid],
    ) -> Result<CustomerView, AppError> {
        who.require("customers:merge")?;
        let mut errs = FieldErrors::default();
        if duplicate_ids.is_empty() || duplicate_ids.len() > MAX_MERGE {
            errs.push(FieldError::new("/duplicate_ids", "range").with("min", 1).with("max", MAX_MERGE));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, d) in duplicate_ids.iter().enumerate() {
            if *d == target {
                errs.push(FieldError::new(format!("/duplicate_ids/{i}"), "merge_self"));
            } else if !seen.insert(*d) {
                errs.push(FieldError::new(format!("/duplicate_ids/{i}"), "duplicate"));
            }
        }
        errs.into_result()?;
        let tx = self.store().begin_write().await?;
        let (before, dups) = lock_for_merge(&tx, who, target, duplicate_ids).await?;
        let mut after = before.clone();
        let now = Utc::now();
        let mut gone = Vec::with_capacity(dups.len());
        for dup in dups {
            // A customer holds one live membership: two members cannot become one customer.
            let live = crm_store::membership::members::live_matching(&tx, who.tenant_id, None, None, &[target, dup.id])
                .await?;
            if live.iter().any(|m| m.customer_id == target) && live.iter().any(|m| m.customer_id == dup.id) {
                return Err(AppError::Conflict {
                    code: "customer.merge_both_members",
                    field: Some("/duplicate_ids".to_owned()),
                });
            }
            let moved = merge::move_linked(&tx, who.tenant_id, dup.id, target).await?;
            let members = crm_store::membership::members::repoint_customer(&tx, who.tenant_id, dup.id, target).await?;
            crm_store::membership::applications::repoint_customer(&tx, who.tenant_id, dup.id, target).await?;
            custom_values::move_missing_values(&tx, who.tenant_id, dup.id, target).await?;
            let filled = fill_empty(&mut after, &dup);
            let moved_json = json!({
                "contacts": moved.contacts, "interactions": moved.interactions,
                "grade_history": moved.grade_history, "tags": moved.tags, "segments": moved.segments,
                "members": members, "filled_fields": filled,
            });
            merge::record(
                &tx,
                merge::MergeRecord {
                    tenant: who.tenant_id,
                    target,
                    merged: dup.id,
                    at: now,
                    actor_type: who.actor.kind(),
                    actor_id: who.actor.id(),
                    moved: moved_json.to_string(),
                },
            )
            .await?;
            audit::record(&tx, who, "merge", "customer", target, json!({"merged": dup.id, "moved": moved_json}))
                .await?;
            gone.push(dup);
        }
        // The customers' own rows last: linked rows first, then the change numbers.
        for dup in gone {
            let mut after_dup = dup.clone();
            after_dup.deleted_at = Some(now);
            after_dup.merged_into = Some(target);
            write_change(&tx, who, dup, after_dup, "merged_into").await?;
        }
        let (row, _) = write_change(&tx, who, before, after, "update").await?;
        let v = super::records::view(&tx, who, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }
}
