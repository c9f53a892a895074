//! 查重与合并: the candidate groups of existing customers, and the merge that moves everything of
//! the duplicates onto one customer in one transaction, recording what came from where. (The
//! probable duplicates of a new or changed customer, a warning or a refusal when the tenant says
//! so, are found by `records`.)

pub use super::view::DuplicateCandidate;

use super::records::{view, views, write_change};
use super::view::CustomerView;
use crate::codes::Code;
use crate::paging::Page;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::Utc;
use crm_domain::customers::Phone;
use crm_domain::customers::customer::mask_id_number;
use crm_domain::customers::duplicates::DuplicateReason;
use crm_domain::ids::CustomerId;
use crm_domain::{FieldError, FieldErrors};
use crm_store::StoreError;
use crm_store::customers::records::{self as customers, Customer};
use crm_store::customers::{duplicates as store, merge};
use crm_store::platform::custom_fields as custom_values;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The most customers listed per group.
const MAX_GROUP: u64 = 50;
/// The most duplicates one merge takes.
pub const MAX_MERGE: usize = 20;
const NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };

/// Customers that share a key.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateGroup {
    /// `name_and_company` is the same name pinyin at the same company.
    pub reason: DuplicateReason,
    /// The shared value; phone and id number masked unless the caller holds `customers:read_pii`.
    pub key: String,
    /// The customers of the group within the caller's data scope (at most 50).
    pub customers: Vec<CustomerView>,
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
    let reason =
        v.get(0).and_then(Value::as_str).and_then(|r| DuplicateReason::parse("/cursor", r).ok()).ok_or_else(bad)?;
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
fn fill_empty(target: &mut Customer, dup: &Customer) -> Vec<&'static str> {
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
        target.phone.clone_from(&dup.phone);
        filled.push("phone");
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
    AppError::Conflict { code: Code::CustomerMergeConflict, field }
}

/// Locks the target and the duplicates (ascending id, one statement, the order every merge
/// uses), then checks them under the lock: each must be live and in the caller's scope, and none
/// merged already. Of two crossed merges (X into Y and Y into X) the second waits here, then finds
/// its target or duplicate merged: a 409, never two merges of one pair or a deadlock.
async fn lock_for_merge(
    tx: &crm_store::DatabaseTransaction,
    who: &Access,
    target: CustomerId,
    duplicate_ids: &[CustomerId],
) -> Result<(Customer, Vec<Customer>), AppError> {
    let mut ids = duplicate_ids.to_vec();
    ids.push(target);
    let mut rows: std::collections::BTreeMap<CustomerId, Customer> =
        customers::lock_many(tx, who.tenant_id, &ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let mut take = async |id: CustomerId| -> Result<Option<Customer>, AppError> {
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
        only: Option<DuplicateReason>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<DuplicateGroup>, AppError> {
        who.require("customers:read")?;
        let mut errs = FieldErrors::default();
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
            None => DuplicateReason::ALL_VALUES.to_vec(),
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
        Ok(Page { items, next_cursor })
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
        target: CustomerId,
        duplicate_ids: &[CustomerId],
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
            let live =
                crm_store::membership::members::live_matching(&tx, who.tenant_id, None, None, &[target.0, dup.id.0])
                    .await?;
            if live.iter().any(|m| m.customer_id == target.0) && live.iter().any(|m| m.customer_id == dup.id.0) {
                return Err(AppError::Conflict {
                    code: Code::CustomerMergeBothMembers,
                    field: Some("/duplicate_ids".to_owned()),
                });
            }
            let moved = merge::move_linked(&tx, who.tenant_id, dup.id, target).await?;
            let members =
                crm_store::membership::members::repoint_customer(&tx, who.tenant_id, dup.id.0, target.0).await?;
            crm_store::membership::applications::repoint_customer(&tx, who.tenant_id, dup.id.0, target.0).await?;
            custom_values::move_missing_values(&tx, who.tenant_id, dup.id.0, target.0).await?;
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
            audit::record(&tx, who, "merge", "customer", target.0, json!({"merged": dup.id, "moved": moved_json}))
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
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }
}
