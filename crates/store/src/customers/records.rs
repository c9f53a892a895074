//! Customer rows: insert and update whole rows, scoped reads, indexed search, the change feed.

use crate::StoreError;
use crate::entities::customers as cu;
use crate::scope::{self, ScopeFilter};
use crm_domain::customers::SearchQuery;
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::TenantId;
use sea_orm::sea_query::{Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use cu::Model as CustomerRow;

/// Inserts a complete row (built by `crm-app`) without reading it back.
pub async fn insert(c: &impl ConnectionTrait, row: &CustomerRow) -> Result<(), StoreError> {
    cu::Entity::insert(row.clone().into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

/// Inserts many complete rows with multi-row inserts, without reading them back.
pub async fn insert_many(c: &impl ConnectionTrait, rows: &[CustomerRow]) -> Result<(), StoreError> {
    for chunk in rows.chunks(crate::MULTI_ROW_CHUNK) {
        cu::Entity::insert_many(chunk.iter().map(|r| r.clone().into_active_model())).exec_without_returning(c).await?;
    }
    Ok(())
}

/// The customers a source system knows by these external ids (merged ones included).
pub async fn find_external_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_ids: &[String],
) -> Result<Vec<CustomerRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in external_ids.chunks(crate::MULTI_ROW_CHUNK * 2) {
        out.extend(
            cu::Entity::find()
                .filter(cu::Column::TenantId.eq(tenant.0))
                .filter(cu::Column::Source.eq(source))
                .filter(cu::Column::ExternalId.is_in(chunk.to_vec()))
                .all(c)
                .await?,
        );
    }
    Ok(out)
}

/// Writes every changed column of `after` (compared with `before`) if the row is still at
/// `before`'s change number; `None` (nothing written) when another change came first. The
/// condition is part of the `UPDATE`, so the check and the write are one step on any database.
pub async fn update(
    c: &impl ConnectionTrait,
    before: CustomerRow,
    after: CustomerRow,
) -> Result<Option<CustomerRow>, StoreError> {
    let seq = before.change_seq;
    let am = merge(before.into_active_model(), after);
    match cu::Entity::update(am).validate()?.filter(cu::Column::ChangeSeq.eq(seq)).exec(c).await {
        Ok(row) => Ok(Some(row)),
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
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<CustomerRow>, StoreError> {
    Ok(locked(cu::Entity::find_by_id((tenant.0, id))).one(c).await?)
}

/// [`find_scoped`], locking the row for the rest of the transaction.
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: Uuid,
) -> Result<Option<CustomerRow>, StoreError> {
    Ok(locked(scoped(tenant, filter, id)).one(c).await?)
}

/// [`find_many`], locking the rows in ascending id order (one statement), the order every
/// transaction that locks several customers uses, so two of them never wait on each other in a cycle.
pub async fn lock_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<CustomerRow>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    for chunk in sorted.chunks(crate::MULTI_ROW_CHUNK * 2) {
        out.extend(
            locked(
                cu::Entity::find()
                    .filter(cu::Column::TenantId.eq(tenant.0))
                    .filter(cu::Column::Id.is_in(chunk.to_vec()))
                    .order_by_asc(cu::Column::Id),
            )
            .all(c)
            .await?,
        );
    }
    Ok(out)
}

fn merge(mut am: cu::ActiveModel, after: CustomerRow) -> cu::ActiveModel {
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
pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<CustomerRow>, StoreError> {
    Ok(cu::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// These customers of the tenant (deleted or not), ignoring scope, in id order.
pub async fn find_many(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<CustomerRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(cu::Column::Id)
        .all(c)
        .await?)
}

/// One customer the scope shows.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ScopeFilter,
    id: Uuid,
) -> Result<Option<CustomerRow>, StoreError> {
    Ok(scoped(tenant, filter, id).one(c).await?)
}

fn scoped(tenant: TenantId, filter: &ScopeFilter, id: Uuid) -> sea_orm::Select<cu::Entity> {
    cu::Entity::find().filter(cu::Column::TenantId.eq(tenant.0)).filter(cu::Column::Id.eq(id)).filter(scope::by_owner(
        tenant.0,
        filter,
        cu::Column::OwnerId,
    ))
}

/// The customer a source system knows by `external_id`.
pub async fn find_external(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_id: &str,
) -> Result<Option<CustomerRow>, StoreError> {
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Source.eq(source))
        .filter(cu::Column::ExternalId.eq(external_id))
        .one(c)
        .await?)
}

/// List filters.
#[derive(Debug, Default, Clone)]
pub struct CustomerFilter {
    pub q: Option<SearchQuery>,
    pub owner_id: Option<Uuid>,
    /// Only customers carrying this tag.
    pub tag_id: Option<Uuid>,
    /// Further conditions, all of which must hold (any one of them with `match_any`).
    pub criteria: Vec<super::criteria::Criterion>,
    /// `criteria` match when any one holds (none given: nothing matches).
    pub match_any: bool,
    /// List the deleted ones (the trash) instead of the live ones.
    pub deleted: bool,
    /// Customers whose membership card number starts with this (with `q`: either may match).
    pub card_prefix: Option<String>,
}

fn prefix(col: cu::Column, p: &str) -> Condition {
    Condition::all().add(col.gte(p)).add(col.lt(prefix_upper_bound(p)))
}

/// `SELECT id FROM customers WHERE tenant_id = ? AND <cond>`: one index range.
fn ids_where(tenant: Uuid, cond: Condition) -> SelectStatement {
    Query::select()
        .column(cu::Column::Id)
        .from(cu::Entity)
        .and_where(cu::Column::TenantId.eq(tenant))
        .cond_where(cond)
        .to_owned()
}

/// The search as `id IN (<index range> UNION <index range> ...)`. Every branch reads one
/// `(tenant_id, key, id)` index; the union of ids comes back in id order, so the page is read by
/// primary key without scanning the tenant (an `OR` of ranges lets SQLite's planner walk the whole
/// primary key instead, which the benchmark showed).
fn search_condition(tenant: Uuid, q: Option<&SearchQuery>, card_prefix: Option<&str>) -> Condition {
    let branches: Vec<Condition> = match q {
        None => Vec::new(),
        Some(q) => key_branches(q),
    };
    let mut selects: Vec<SelectStatement> = branches.into_iter().map(|b| ids_where(tenant, b)).collect();
    if let Some(p) = card_prefix {
        // The customers of members whose card number is in the range (`ux_members_card_no`).
        selects.push(
            Query::select()
                .column(crate::entities::members::Column::CustomerId)
                .from(crate::entities::members::Entity)
                .and_where(crate::entities::members::Column::TenantId.eq(tenant))
                .and_where(crate::entities::members::Column::CardNo.gte(p))
                .and_where(crate::entities::members::Column::CardNo.lt(prefix_upper_bound(p)))
                .to_owned(),
        );
    }
    let mut iter = selects.into_iter();
    let mut union = iter.next().unwrap_or_else(|| ids_where(tenant, Condition::all().add(cu::Column::Id.is_null())));
    for b in iter {
        union.union(UnionType::Distinct, b);
    }
    Condition::all().add(cu::Column::Id.in_subquery(union))
}

/// One `(tenant_id, key, id)` index range per key the query may be.
fn key_branches(q: &SearchQuery) -> Vec<Condition> {
    match q {
        SearchQuery::PhoneLast4(d) => vec![Condition::all().add(cu::Column::PhoneLast4.eq(d.clone()))],
        SearchQuery::Phone(e) => vec![Condition::all().add(cu::Column::Phone.eq(e.clone()))],
        SearchQuery::PhonePrefix(p) => vec![prefix(cu::Column::Phone, p)],
        SearchQuery::Email(e) => vec![prefix(cu::Column::Email, e)],
        SearchQuery::Name { norm, latin } => {
            let mut b = vec![prefix(cu::Column::NameNorm, norm)];
            if let Some(l) = latin.as_deref().filter(|l| !l.is_empty()) {
                b.push(prefix(cu::Column::NamePinyin, l));
                b.push(prefix(cu::Column::NameInitials, l));
            }
            b
        }
    }
}

/// The customers the scope shows that match `f`.
fn matching(tenant: TenantId, scope_filter: &ScopeFilter, f: &CustomerFilter) -> sea_orm::Select<cu::Entity> {
    let mut q = cu::Entity::find().filter(cu::Column::TenantId.eq(tenant.0)).filter(scope::by_owner(
        tenant.0,
        scope_filter,
        cu::Column::OwnerId,
    ));
    q = if f.deleted {
        q.filter(cu::Column::DeletedAt.is_not_null())
    } else {
        q.filter(cu::Column::DeletedAt.is_null())
    };
    if f.q.is_some() || f.card_prefix.is_some() {
        q = q.filter(search_condition(tenant.0, f.q.as_ref(), f.card_prefix.as_deref()));
    }
    if let Some(o) = f.owner_id {
        q = q.filter(cu::Column::OwnerId.eq(o));
    }
    if let Some(t) = f.tag_id {
        q = q.filter(cu::Column::Id.in_subquery(super::tags::customers_with(tenant, t)));
    }
    if !f.criteria.is_empty() || f.match_any {
        q = q.filter(super::criteria::combine(tenant, !f.match_any, &f.criteria));
    }
    q
}

/// `SELECT id FROM customers WHERE <the scope shows it and it matches f>`, for records that
/// belong to customers (members) to filter by their customer.
pub fn ids_matching(tenant: TenantId, scope_filter: &ScopeFilter, f: &CustomerFilter) -> SelectStatement {
    use sea_orm::QueryTrait;
    matching(tenant, scope_filter, f).select_only().column(cu::Column::Id).into_query()
}

/// `SELECT id FROM customers WHERE <the scope shows it>` (deleted ones included).
pub fn ids_in_scope(tenant: TenantId, scope_filter: &ScopeFilter) -> SelectStatement {
    ids_where(tenant.0, scope::by_owner(tenant.0, scope_filter, cu::Column::OwnerId))
}

/// `SELECT id FROM customers WHERE phone = ?` (or `id_number = ?`): live customers with that key.
pub fn ids_with_key(tenant: TenantId, phone: Option<&str>, id_number: Option<&str>) -> SelectStatement {
    let mut any = Condition::any();
    if let Some(p) = phone {
        any = any.add(cu::Column::Phone.eq(p));
    }
    if let Some(i) = id_number {
        any = any.add(cu::Column::IdNumber.eq(i));
    }
    if phone.is_none() && id_number.is_none() {
        // Nothing to match on: a condition no row meets.
        any = any.add(cu::Column::Id.is_null());
    }
    ids_where(tenant.0, Condition::all().add(any).add(cu::Column::DeletedAt.is_null()))
}

/// Live customers with this phone or id number, oldest first.
pub async fn with_key(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    phone: Option<&str>,
    id_number: Option<&str>,
    limit: u64,
) -> Result<Vec<CustomerRow>, StoreError> {
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.in_subquery(ids_with_key(tenant, phone, id_number)))
        .order_by_asc(cu::Column::Id)
        .limit(limit)
        .all(c)
        .await?)
}

/// One page in id order after `after`, within the scope.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope_filter: &ScopeFilter,
    f: &CustomerFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<CustomerRow>, StoreError> {
    let mut q = matching(tenant, scope_filter, f);
    if let Some(a) = after {
        q = q.filter(cu::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(cu::Column::Id).limit(limit).all(c).await?)
}

/// How many customers the scope shows that match `f`.
pub async fn count(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope_filter: &ScopeFilter,
    f: &CustomerFilter,
) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(matching(tenant, scope_filter, f).count(c).await?)
}

/// Customers changed after sequence `since`, in change order, within the scope.
pub async fn changes(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope_filter: &ScopeFilter,
    since: i64,
    limit: u64,
) -> Result<Vec<CustomerRow>, StoreError> {
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::ChangeSeq.gt(since))
        .filter(scope::by_owner(tenant.0, scope_filter, cu::Column::OwnerId))
        .order_by_asc(cu::Column::ChangeSeq)
        .limit(limit)
        .all(c)
        .await?)
}

/// Records the time of the latest interaction (only moves forward; not a change of the record).
pub async fn touch_interaction(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    cu::Entity::update_many()
        .col_expr(cu::Column::LastInteractionAt, sea_orm::sea_query::Expr::value(at))
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id))
        .filter(Condition::any().add(cu::Column::LastInteractionAt.is_null()).add(cu::Column::LastInteractionAt.lt(at)))
        .exec(c)
        .await?;
    Ok(())
}

/// Gives an unowned live customer to `user`; false when someone owns it already (or it is gone).
/// One conditional statement, so of two racing claims exactly one wins.
pub async fn claim_if_unowned(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    user: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    let res = cu::Entity::update_many()
        .col_expr(cu::Column::OwnerId, sea_orm::sea_query::Expr::value(user))
        .col_expr(cu::Column::OwnedSince, sea_orm::sea_query::Expr::value(now))
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id))
        .filter(cu::Column::OwnerId.is_null())
        .filter(cu::Column::DeletedAt.is_null())
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Idle when neither an interaction nor the current ownership is newer than `cutoff`.
fn idle_since(cutoff: chrono::DateTime<chrono::Utc>) -> Condition {
    Condition::all()
        .add(
            Condition::any().add(cu::Column::LastInteractionAt.is_null()).add(cu::Column::LastInteractionAt.lt(cutoff)),
        )
        .add(Condition::any().add(cu::Column::OwnedSince.is_null()).add(cu::Column::OwnedSince.lt(cutoff)))
}

/// Owned live customers idle since `cutoff`, oldest id first, locked for the rest of the
/// transaction; on PostgreSQL a customer another transaction holds is skipped (`SKIP LOCKED`: the
/// next round takes it), so the job never waits on a row while it holds the change counter.
pub async fn idle_owned(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    cutoff: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<CustomerRow>, StoreError> {
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::OwnerId.is_not_null())
        .filter(cu::Column::DeletedAt.is_null())
        .filter(idle_since(cutoff))
        .order_by_asc(cu::Column::Id)
        .limit(limit)
        .lock_with_behavior(sea_orm::sea_query::LockType::NoKeyUpdate, sea_orm::sea_query::LockBehavior::SkipLocked)
        .all(c)
        .await?)
}

/// Puts a customer back into the pool if `owner` still owns it and it is still idle since
/// `cutoff`; false when another instance or a new interaction got there first.
pub async fn release_if_idle(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    owner: Uuid,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    let res = cu::Entity::update_many()
        .col_expr(cu::Column::OwnerId, sea_orm::sea_query::Expr::value(Option::<Uuid>::None))
        .col_expr(
            cu::Column::OwnedSince,
            sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::Id.eq(id))
        .filter(cu::Column::OwnerId.eq(owner))
        .filter(cu::Column::DeletedAt.is_null())
        .filter(idle_since(cutoff))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// How many live customers `user` owns.
pub async fn count_owned(c: &impl ConnectionTrait, tenant: TenantId, user: Uuid) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::OwnerId.eq(user))
        .filter(cu::Column::DeletedAt.is_null())
        .count(c)
        .await?)
}
