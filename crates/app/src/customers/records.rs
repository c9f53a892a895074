//! The customer record's shared helpers, and the one door other contexts (membership) use to
//! read and write customers: a blank record, writing a new one or a change (each with the next
//! change number, custom values, grade history and audit entry in the caller's transaction),
//! views with tags, and the duplicate keys a refusal is decided under.

pub use super::filters::{ListFilters, store_filter};
pub use super::input::{CustomerInput, apply};
pub use super::view::{CustomerView, DuplicateCandidate, PII};
pub use crm_store::customers::records::Customer;

use super::input::same_content;
use super::view::audit_json;
use crate::codes::Code;
use crate::platform::audit;
use crate::platform::custom_fields::{Definitions, sync_values};
use crate::{Access, AppError};
use chrono::Utc;
use crm_domain::FieldErrors;
use crm_domain::customers::duplicates::{DuplicateKeys, DuplicateReason};
use crm_domain::customers::{CustomerKind, LifecycleGrade};
use crm_domain::ids::{CustomerId, TagId, TenantId};
use crm_domain::platform::custom_fields::ObjectType;
use crm_store::Insertion;
use crm_store::customers::records as customers;
use crm_store::customers::{duplicates as store_duplicates, grade_history};
use crm_store::identity::users;
use crm_store::membership::person_locks;
use crm_store::platform::counters;
use crm_store::{ConnectionTrait, DatabaseTransaction};

/// The counter behind the change feed.
pub(crate) const CHANGES: &str = "customer_changes";
/// Another change of the customer came between the caller's read and its write.
const CHANGED: AppError = AppError::Conflict { code: Code::CustomerChangedConcurrently, field: None };
/// The most candidates reported for one customer.
const MAX_CANDIDATES: u64 = 20;

/// An empty record for a new customer, owned by the creating user.
pub(crate) fn blank(tenant: TenantId, who: &Access) -> Customer {
    let now = Utc::now();
    Customer {
        tenant_id: tenant,
        id: CustomerId::new(),
        kind: CustomerKind::Person,
        name: String::new(),
        phone: None,
        email: None,
        gender: None,
        birthday: None,
        id_number: None,
        company: None,
        province: None,
        city: None,
        district: None,
        address: None,
        source: None,
        external_id: None,
        industry: None,
        level: None,
        grade: LifecycleGrade::Prospect,
        owner_id: who.user_id(),
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
    r: &Customer,
    field: &str,
    errs: &mut FieldErrors,
) -> Result<(), AppError> {
    if let Some(o) = r.owner_id
        && users::find(c, tenant, o).await?.is_none()
    {
        errs.push(crm_domain::FieldError::new(field, "not_found"));
    }
    Ok(())
}

/// Builds views with each customer's tags (one query for all of them).
pub(crate) async fn views(
    c: &impl ConnectionTrait,
    who: &Access,
    rows: Vec<Customer>,
) -> Result<Vec<CustomerView>, AppError> {
    let ids: Vec<CustomerId> = rows.iter().map(|r| r.id).collect();
    let mut tags = super::tags::tags_by_customer(c, who, &ids).await?;
    let defs = Definitions::current(c, who, ObjectType::Customer).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = tags.remove(&r.id).unwrap_or_default();
            CustomerView::new(r, who, t, &defs)
        })
        .collect())
}

pub(crate) async fn view(c: &impl ConnectionTrait, who: &Access, row: Customer) -> Result<CustomerView, AppError> {
    views(c, who, vec![row]).await?.pop().ok_or_else(|| AppError::Internal("view of nothing".to_owned()))
}

/// Replaces the customer's tags when the input names them; audited as a change of the customer.
pub(crate) async fn write_tags(
    tx: &DatabaseTransaction,
    who: &Access,
    customer: CustomerId,
    tag_ids: Option<&[TagId]>,
) -> Result<(), AppError> {
    let Some(ids) = tag_ids else { return Ok(()) };
    let mut unique: Vec<TagId> = ids.to_vec();
    unique.sort();
    unique.dedup();
    let before: Vec<TagId> = crm_store::customers::tags::of_customers(tx, who.tenant_id, &[customer])
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
        customer.0,
        serde_json::json!({"tags": {"from": sorted_before, "to": unique}}),
    )
    .await?;
    Ok(())
}

/// Inserts a new customer with the next change number (unless the caller reserved one), its
/// custom values, first grade and audit entry, and reads it back as stored.
pub(crate) async fn write_new(tx: &DatabaseTransaction, who: &Access, mut row: Customer) -> Result<Customer, AppError> {
    if row.change_seq == 0 {
        row.change_seq = counters::take(tx, who.tenant_id, CHANGES, 1).await?;
    }
    let Insertion::Inserted(stored) = customers::insert_returning(tx, &row).await? else {
        return Err(external_id_taken());
    };
    after_insert(tx, who, &stored).await?;
    Ok(stored)
}

/// The source system's key names another customer already.
pub(crate) fn external_id_taken() -> AppError {
    AppError::Conflict { code: Code::CustomerExternalIdTaken, field: Some("/external_id".to_owned()) }
}

/// What [`write_new`] writes, for a record whose change number is set, without reading it back.
/// A record carrying a source system's key is written only if the key is new (`AlreadyThere`
/// otherwise, and nothing is written).
pub(crate) async fn insert_new(
    tx: &DatabaseTransaction,
    who: &Access,
    row: &Customer,
) -> Result<Insertion<CustomerId>, AppError> {
    if row.external_id.is_some() {
        if customers::insert_keyed(tx, row).await? == Insertion::AlreadyThere {
            return Ok(Insertion::AlreadyThere);
        }
    } else {
        customers::insert(tx, row).await?;
    }
    after_insert(tx, who, row).await?;
    Ok(Insertion::Inserted(row.id))
}

/// What comes with a new customer row: its custom values, its first grade, its audit entry.
async fn after_insert(tx: &DatabaseTransaction, who: &Access, row: &Customer) -> Result<(), AppError> {
    if row.custom_fields != "{}" {
        sync_values(tx, who.tenant_id, ObjectType::Customer, row.id.0, &row.custom_fields).await?;
    }
    grade_history::append(tx, who.tenant_id, row.id, None, row.grade, who.actor.kind(), who.actor.id()).await?;
    audit::record(tx, who, "create", "customer", row.id.0, audit_json(row)).await?;
    Ok(())
}

/// What [`insert_new`] writes, for many keyed records at once (multi-row inserts of the rows,
/// their first grades and their audit entries; custom values per row that has any). Returns the
/// ids written: a record whose key its source has already is left out.
pub(crate) async fn insert_new_many(
    tx: &DatabaseTransaction,
    who: &Access,
    rows: &[Customer],
) -> Result<Vec<CustomerId>, AppError> {
    let written = customers::insert_many_keyed(tx, rows).await?;
    let rows: Vec<&Customer> = rows.iter().filter(|r| written.contains(&r.id)).collect();
    for row in rows.iter().filter(|r| r.custom_fields != "{}") {
        sync_values(tx, who.tenant_id, ObjectType::Customer, row.id.0, &row.custom_fields).await?;
    }
    let first: Vec<(CustomerId, LifecycleGrade)> = rows.iter().map(|r| (r.id, r.grade)).collect();
    grade_history::append_first(tx, who.tenant_id, &first, who.actor.kind(), who.actor.id()).await?;
    audit::record_many(tx, who, "create", "customer", rows.iter().map(|r| (r.id.0, audit_json(r))).collect()).await?;
    Ok(written)
}

/// Writes a change unless nothing differs (with the next change number unless the caller set
/// one); returns the record and whether it changed.
pub(crate) async fn write_change(
    tx: &DatabaseTransaction,
    who: &Access,
    before: Customer,
    after: Customer,
    action: &str,
) -> Result<(Customer, bool), AppError> {
    if same_content(&before, &after) {
        return Ok((before, false));
    }
    // The row is locked before the change number is taken (customers before the counter, the
    // order every customer write keeps); a caller that read it unlocked learns here whether it
    // changed since.
    let current = customers::lock(tx, who.tenant_id, before.id).await?;
    if current.is_none_or(|c| c.change_seq != before.change_seq) {
        return Err(CHANGED);
    }
    write_locked_change(tx, who, before, after, action).await
}

/// [`write_change`] for a caller that read `before` locked in this transaction (`lock_scoped`),
/// so it is current and stays so: the same writes, without locking and reading the row again.
pub(crate) async fn write_locked_change(
    tx: &DatabaseTransaction,
    who: &Access,
    before: Customer,
    mut after: Customer,
    action: &str,
) -> Result<(Customer, bool), AppError> {
    if same_content(&before, &after) {
        return Ok((before, false));
    }
    // Strictly later than the version the caller saw, so the ETag always changes.
    after.updated_at = Utc::now().max(before.updated_at + chrono::Duration::microseconds(1));
    // A batch reserves its change numbers up front and sets them; everyone else takes the next.
    if after.change_seq == before.change_seq {
        after.change_seq = counters::take(tx, who.tenant_id, CHANGES, 1).await?;
    }
    let diff = audit::diff(&audit_json(&before), &audit_json(&after));
    let grade_from = (before.grade != after.grade).then_some(before.grade);
    let custom_changed = before.custom_fields != after.custom_fields;
    let row = customers::update(tx, &before, &after).await?.ok_or(CHANGED)?;
    if custom_changed {
        sync_values(tx, who.tenant_id, ObjectType::Customer, row.id.0, &row.custom_fields).await?;
    }
    if let Some(from) = grade_from {
        grade_history::append(tx, who.tenant_id, row.id, Some(from), row.grade, who.actor.kind(), who.actor.id())
            .await?;
    }
    audit::record(tx, who, action, "customer", row.id.0, diff).await?;
    Ok((row, true))
}

/// The keys duplicate detection compares.
pub(crate) fn keys_of(r: &Customer) -> DuplicateKeys {
    DuplicateKeys {
        phone: r.phone.clone(),
        email: r.email.clone(),
        id_number: r.id_number.clone(),
        name_pinyin: r.name_pinyin(),
        company_key: r.company_key(),
    }
}

/// The probable duplicates of `row` among the tenant's live customers.
pub(crate) async fn candidates(
    c: &impl ConnectionTrait,
    who: &Access,
    row: &Customer,
) -> Result<Vec<DuplicateCandidate>, AppError> {
    let keys = keys_of(row);
    let mut out = Vec::new();
    for other in store_duplicates::candidates(c, who.tenant_id, &keys, Some(row.id), MAX_CANDIDATES).await? {
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
fn person_keys(row: &Customer) -> Vec<String> {
    let keys = keys_of(row);
    DuplicateReason::ALL_VALUES.iter().filter_map(|r| keys.key(*r)).collect()
}

/// The reasons on which `after` has a key that `before` did not have (what a change could make
/// a new duplicate on).
pub(crate) fn new_keys(before: &Customer, after: &Customer) -> Vec<DuplicateReason> {
    let (b, a) = (keys_of(before), keys_of(after));
    DuplicateReason::ALL_VALUES.iter().copied().filter(|r| a.key(*r).is_some_and(|k| b.key(*r) != Some(k))).collect()
}

/// Under `duplicate_policy: refuse`, refuses a change that gives the customer a key another live
/// customer has (keys it had already are not held against it). Lock the keys first.
pub(crate) async fn refuse_new_duplicates(
    tx: &DatabaseTransaction,
    who: &Access,
    before: &Customer,
    after: &Customer,
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

/// Whether the tenant refuses probable duplicates (`duplicate_policy: refuse`), as of the
/// caller's request.
pub(crate) async fn refuses(c: &impl ConnectionTrait, who: &Access) -> Result<bool, AppError> {
    Ok(crate::platform::settings::current(c, who).await?.duplicate_policy
        == crm_domain::platform::settings::DuplicatePolicy::Refuse)
}

/// Locks the duplicate keys of every record for the rest of the transaction (all at once, in one
/// sorted order), so that "no live customer has this key, so insert" is decided by one
/// transaction at a time. Taken before any customer row lock.
pub(crate) async fn lock_keys(tx: &DatabaseTransaction, who: &Access, rows: &[&Customer]) -> Result<(), AppError> {
    let keys: Vec<String> = rows.iter().flat_map(|r| person_keys(r)).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    Ok(person_locks::lock(tx, who.tenant_id, &keys).await?)
}
