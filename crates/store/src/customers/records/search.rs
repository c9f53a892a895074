//! Finding customers: list filters, the indexed search, counts, the change feed, and the
//! subqueries other records (members) filter by.

use super::{Customer, all};
use crate::StoreError;
use crate::entities::customers as cu;
use crate::scope::{self, ScopeFilter};
use crm_domain::customers::SearchQuery;
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::{CustomerId, TagId, TenantId, UserId};
use sea_orm::sea_query::{Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// List filters.
#[derive(Debug, Default, Clone)]
pub struct CustomerFilter {
    pub q: Option<SearchQuery>,
    pub owner_id: Option<UserId>,
    /// Only customers carrying this tag.
    pub tag_id: Option<TagId>,
    /// Further conditions, all of which must hold (any one of them with `match_any`).
    pub criteria: Vec<crate::customers::criteria::Criterion>,
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
        q = q.filter(cu::Column::OwnerId.eq(o.0));
    }
    if let Some(t) = f.tag_id {
        q = q.filter(cu::Column::Id.in_subquery(crate::customers::tags::customers_with(tenant, t)));
    }
    if !f.criteria.is_empty() || f.match_any {
        q = q.filter(crate::customers::criteria::combine(tenant, !f.match_any, &f.criteria));
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
) -> Result<Vec<Customer>, StoreError> {
    all(cu::Entity::find()
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
    after: Option<CustomerId>,
    limit: u64,
) -> Result<Vec<Customer>, StoreError> {
    let mut q = matching(tenant, scope_filter, f);
    if let Some(a) = after {
        q = q.filter(cu::Column::Id.gt(a.0));
    }
    all(q.order_by_asc(cu::Column::Id).limit(limit).all(c).await?)
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
) -> Result<Vec<Customer>, StoreError> {
    all(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(cu::Column::ChangeSeq.gt(since))
        .filter(scope::by_owner(tenant.0, scope_filter, cu::Column::OwnerId))
        .order_by_asc(cu::Column::ChangeSeq)
        .limit(limit)
        .all(c)
        .await?)
}
