//! Customer records: the [`Customer`] a use case reads and writes (domain types; the search keys
//! are derived here, when the row is written), scoped reads, indexed search, the change feed.

mod pool;
mod search;

pub use pool::{claim_if_unowned, count_owned, idle_owned, release_if_idle, touch_interaction};
pub use search::{CustomerFilter, changes, count, ids_in_scope, ids_matching, ids_with_key, page, with_key};

use crate::StoreError;
use crate::entities::customers as cu;
use crate::scope::{self, ScopeFilter};
use crate::stored::parse_stored;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::duplicates::company_key;
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade, NameKeys, Phone};
use crm_domain::ids::{CustomerId, TenantId, UserId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};
use uuid::Uuid;

/// A customer as stored: its fields and bookkeeping. The search keys (normalized name, pinyin,
/// initials, last four phone digits, company key) are not part of it: the store derives them from
/// the name, phone and company whenever it writes the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub tenant_id: TenantId,
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub name: String,
    /// E.164.
    pub phone: Option<String>,
    /// Lowercase.
    pub email: Option<String>,
    pub gender: Option<Gender>,
    pub birthday: Option<NaiveDate>,
    /// Uppercase, in full.
    pub id_number: Option<String>,
    pub company: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub industry: Option<String>,
    pub level: Option<String>,
    pub grade: LifecycleGrade,
    pub owner_id: Option<UserId>,
    /// When the current owner took the customer (created, assigned or claimed); `None` in the pool.
    pub owned_since: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    /// The custom field values as JSON text (an object by key).
    pub custom_fields: String,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The user or API client that created it.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set when this customer was merged into another (then also deleted).
    pub merged_into: Option<CustomerId>,
    /// The customer's place in the tenant's change feed.
    pub change_seq: i64,
}

impl Customer {
    /// The full pinyin of the name (what duplicate detection compares).
    pub fn name_pinyin(&self) -> String {
        NameKeys::of(&self.name).pinyin
    }

    /// The company name without legal forms (what duplicate detection compares); `None` without one.
    pub fn company_key(&self) -> Option<String> {
        self.company.as_deref().map(company_key).filter(|k| !k.is_empty())
    }
}

impl TryFrom<cu::Model> for Customer {
    type Error = StoreError;

    fn try_from(m: cu::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: CustomerId(m.id),
            kind: parse_stored("customers.kind", &m.kind, CustomerKind::parse)?,
            name: m.name,
            phone: m.phone,
            email: m.email,
            gender: m.gender.map(|g| parse_stored("customers.gender", &g, Gender::parse)).transpose()?,
            birthday: m.birthday,
            id_number: m.id_number,
            company: m.company,
            province: m.province,
            city: m.city,
            district: m.district,
            address: m.address,
            source: m.source,
            external_id: m.external_id,
            industry: m.industry,
            level: m.level,
            grade: parse_stored("customers.grade", &m.grade, LifecycleGrade::parse)?,
            owner_id: m.owner_id.map(UserId),
            owned_since: m.owned_since,
            notes: m.notes,
            custom_fields: m.custom_fields,
            last_interaction_at: m.last_interaction_at,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            deleted_at: m.deleted_at,
            merged_into: m.merged_into.map(CustomerId),
            change_seq: m.change_seq,
        })
    }
}

/// The row of a record, with its search keys derived.
fn model(r: &Customer) -> cu::Model {
    let keys = NameKeys::of(&r.name);
    cu::Model {
        tenant_id: r.tenant_id.0,
        id: r.id.0,
        kind: r.kind.as_str().to_owned(),
        name: r.name.clone(),
        name_norm: keys.norm,
        name_pinyin: keys.pinyin,
        name_initials: keys.initials,
        phone: r.phone.clone(),
        phone_last4: r.phone.as_deref().map(|p| Phone::from_e164(p).last4()),
        email: r.email.clone(),
        gender: r.gender.map(|g| g.as_str().to_owned()),
        birthday: r.birthday,
        id_number: r.id_number.clone(),
        company: r.company.clone(),
        company_key: r.company_key(),
        province: r.province.clone(),
        city: r.city.clone(),
        district: r.district.clone(),
        address: r.address.clone(),
        source: r.source.clone(),
        external_id: r.external_id.clone(),
        industry: r.industry.clone(),
        level: r.level.clone(),
        grade: r.grade.as_str().to_owned(),
        owner_id: r.owner_id.map(|o| o.0),
        owned_since: r.owned_since,
        notes: r.notes.clone(),
        custom_fields: r.custom_fields.clone(),
        last_interaction_at: r.last_interaction_at,
        created_by: r.created_by,
        created_at: r.created_at,
        updated_at: r.updated_at,
        deleted_at: r.deleted_at,
        merged_into: r.merged_into.map(|m| m.0),
        change_seq: r.change_seq,
    }
}

fn one(m: Option<cu::Model>) -> Result<Option<Customer>, StoreError> {
    m.map(Customer::try_from).transpose()
}

pub(crate) fn all(ms: Vec<cu::Model>) -> Result<Vec<Customer>, StoreError> {
    ms.into_iter().map(Customer::try_from).collect()
}

fn ids(ids: &[CustomerId]) -> Vec<Uuid> {
    ids.iter().map(|i| i.0).collect()
}

use crate::stored::Insertion;

/// The key of `ON CONFLICT (tenant_id, source, external_id) DO NOTHING`: a key seen before is
/// "already there".
const EXTERNAL_KEY: [cu::Column; 3] = [cu::Column::TenantId, cu::Column::Source, cu::Column::ExternalId];

/// Inserts a complete record (built by `crm-app`) without reading it back.
pub async fn insert(c: &impl ConnectionTrait, r: &Customer) -> Result<(), StoreError> {
    cu::Entity::insert(model(r).into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

/// Inserts a record unless its source already knows its `external_id`.
pub async fn insert_keyed(c: &impl ConnectionTrait, r: &Customer) -> Result<Insertion<CustomerId>, StoreError> {
    let res = cu::Entity::insert(model(r).into_active_model())
        .on_conflict_do_nothing_on(EXTERNAL_KEY)
        .exec_without_returning(c)
        .await?;
    Ok(match res {
        TryInsertResult::Inserted(1) => Insertion::Inserted(r.id),
        _ => Insertion::AlreadyThere,
    })
}

/// Inserts a record (one carrying a source system's key only if its source does not know the
/// key yet) and returns it as stored (the database keeps microseconds: the ETag must match a
/// later read), in one statement.
pub async fn insert_returning(c: &impl ConnectionTrait, r: &Customer) -> Result<Insertion<Customer>, StoreError> {
    let insert = cu::Entity::insert(model(r).into_active_model());
    let res = if r.external_id.is_some() {
        insert.on_conflict_do_nothing_on(EXTERNAL_KEY).exec_with_returning(c).await?
    } else {
        TryInsertResult::Inserted(insert.exec_with_returning(c).await?)
    };
    match res {
        TryInsertResult::Inserted(m) => Ok(Insertion::Inserted(m.try_into()?)),
        TryInsertResult::Conflicted | TryInsertResult::Empty => Ok(Insertion::AlreadyThere),
    }
}

/// Inserts many records with multi-row inserts, each unless its source already knows its
/// `external_id`; returns the ids written (the others were already there).
pub async fn insert_many_keyed(c: &impl ConnectionTrait, rows: &[Customer]) -> Result<Vec<CustomerId>, StoreError> {
    let mut written = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(crate::MULTI_ROW_CHUNK) {
        let res = cu::Entity::insert_many(chunk.iter().map(|r| model(r).into_active_model()))
            .on_conflict_do_nothing_on(EXTERNAL_KEY)
            .exec_with_returning_keys(c)
            .await?;
        if let TryInsertResult::Inserted(keys) = res {
            written.extend(keys.into_iter().map(|(_, id)| CustomerId(id)));
        }
    }
    Ok(written)
}

/// The customers a source system knows by these external ids (merged ones included).
pub async fn find_external_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_ids: &[String],
) -> Result<Vec<Customer>, StoreError> {
    let mut out = Vec::new();
    for chunk in external_ids.chunks(crate::MULTI_ROW_CHUNK * 2) {
        out.extend(all(cu::Entity::find()
            .filter(cu::Column::TenantId.eq(tenant.0))
            .filter(cu::Column::Source.eq(source))
            .filter(cu::Column::ExternalId.is_in(chunk.to_vec()))
            .all(c)
            .await?)?);
    }
    Ok(out)
}

/// Writes every changed column of `after` (compared with `before`, search keys included) if the
/// row is still at `before`'s change number; `None` (nothing written) when another change came
/// first. The condition is part of the `UPDATE`, so the check and the write are one step on any
/// database.
pub async fn update(
    c: &impl ConnectionTrait,
    before: &Customer,
    after: &Customer,
) -> Result<Option<Customer>, StoreError> {
    let seq = before.change_seq;
    let am = merge(model(before).into_active_model(), model(after));
    match cu::Entity::update(am).validate()?.filter(cu::Column::ChangeSeq.eq(seq)).exec(c).await {
        Ok(row) => Ok(Some(row.try_into()?)),
        Err(sea_orm::DbErr::RecordNotUpdated) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The row lock a use case takes before it checks a customer and writes it: `FOR NO KEY UPDATE`
/// on PostgreSQL (the lock an `UPDATE` of non-key columns takes, so inserts of rows that refer
/// to the customer are not blocked), nothing on SQLite, whose writers are serialized already.
fn locked(q: sea_orm::Select<cu::Entity>) -> sea_orm::Select<cu::Entity> {
    q.lock(sea_orm::sea_query::LockType::NoKeyUpdate)
}

/// [`find`], locking the row for the rest of the transaction.
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: CustomerId) -> Result<Option<Customer>, StoreError> {
    one(locked(cu::Entity::find_by_id((tenant.0, id.0))).one(c).await?)
}

/// [`find_scoped`], locking the row for the rest of the transaction.
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: CustomerId,
) -> Result<Option<Customer>, StoreError> {
    one(locked(scoped(tenant, filter, id)).one(c).await?)
}

/// [`find_many`], locking the rows in ascending id order (one statement), the order every
/// transaction that locks several customers uses, so two of them never wait on each other in a cycle.
pub async fn lock_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids_: &[CustomerId],
) -> Result<Vec<Customer>, StoreError> {
    let mut out = Vec::with_capacity(ids_.len());
    let mut sorted = ids(ids_);
    sorted.sort();
    sorted.dedup();
    for chunk in sorted.chunks(crate::MULTI_ROW_CHUNK * 2) {
        out.extend(all(locked(
            cu::Entity::find()
                .filter(cu::Column::TenantId.eq(tenant.0))
                .filter(cu::Column::Id.is_in(chunk.to_vec()))
                .order_by_asc(cu::Column::Id),
        )
        .all(c)
        .await?)?);
    }
    Ok(out)
}

fn merge(mut am: cu::ActiveModel, after: cu::Model) -> cu::ActiveModel {
    set_changed!(am, after;
        kind,
        name,
        name_norm,
        name_pinyin,
        name_initials,
        phone,
        phone_last4,
        email,
        gender,
        birthday,
        id_number,
        company,
        company_key,
        province,
        city,
        district,
        address,
        source,
        external_id,
        industry,
        level,
        grade,
        owner_id,
        owned_since,
        notes,
        custom_fields,
        updated_at,
        deleted_at,
        merged_into,
        change_seq
    );
    am
}

/// One customer of the tenant, deleted or not, ignoring scope (for internal checks).
pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: CustomerId) -> Result<Option<Customer>, StoreError> {
    one(cu::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// These customers of the tenant (deleted or not), ignoring scope, in id order.
pub async fn find_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids_: &[CustomerId],
) -> Result<Vec<Customer>, StoreError> {
    if ids_.is_empty() {
        return Ok(Vec::new());
    }
    all(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.is_in(ids(ids_)))
        .order_by_asc(cu::Column::Id)
        .all(c)
        .await?)
}

/// One customer the scope shows.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: CustomerId,
) -> Result<Option<Customer>, StoreError> {
    one(scoped(tenant, filter, id).one(c).await?)
}

pub(super) fn scoped(tenant: TenantId, filter: &ScopeFilter, id: CustomerId) -> sea_orm::Select<cu::Entity> {
    cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id.0))
        .filter(scope::by_owner(tenant.0, filter, cu::Column::OwnerId))
}

/// The customer a source system knows by `external_id`.
pub async fn find_external(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_id: &str,
) -> Result<Option<Customer>, StoreError> {
    one(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Source.eq(source))
        .filter(cu::Column::ExternalId.eq(external_id))
        .one(c)
        .await?)
}
