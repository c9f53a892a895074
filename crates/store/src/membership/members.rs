//! Member rows: insert and update whole rows, reads within the data scope (through the member's
//! customer and its owner), lookups by card number, phone, id number or customer, and lists.

use crate::StoreError;
use crate::customers::records::{self, CustomerFilter};
use crate::entities::members as mb;
use crate::scope::ScopeFilter;
use chrono::{DateTime, Utc};
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::TenantId;
use crm_domain::membership::MemberStatus;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

pub use mb::Model as MemberRow;

pub async fn insert(c: &impl ConnectionTrait, row: &MemberRow) -> Result<(), StoreError> {
    mb::Entity::insert(row.clone().into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

/// Writes every column of `after` that differs from `before`.
pub async fn update(c: &impl ConnectionTrait, before: MemberRow, after: MemberRow) -> Result<MemberRow, StoreError> {
    let mut am = before.into_active_model();
    set_changed!(am, after; customer_id, card_no, status, level_id, cancelled_at, cancel_reason, updated_at);
    Ok(am.update(c).await?)
}

/// One member of the tenant, ignoring scope (for internal checks).
pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<MemberRow>, StoreError> {
    Ok(mb::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

fn in_scope(tenant: TenantId, scope: &ScopeFilter) -> Condition {
    match scope {
        ScopeFilter::All => Condition::all(),
        s => Condition::all().add(mb::Column::CustomerId.in_subquery(records::ids_in_scope(tenant, s))),
    }
}

fn scoped(tenant: TenantId, scope: &ScopeFilter, id: Uuid) -> Select<mb::Entity> {
    mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::Id.eq(id))
        .filter(in_scope(tenant, scope))
}

/// One member whose customer the scope shows.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: Uuid,
) -> Result<Option<MemberRow>, StoreError> {
    Ok(scoped(tenant, scope, id).one(c).await?)
}

/// One member whose customer the scope shows, locked until the transaction ends (`FOR UPDATE`
/// on PostgreSQL; SQLite's writers are serialized already): every change of a member reads it
/// this way, so the next change of the same member waits and then sees this one.
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: Uuid,
) -> Result<Option<MemberRow>, StoreError> {
    Ok(scoped(tenant, scope, id).lock_exclusive().one(c).await?)
}

/// The member holding a card number (current numbers only: a retired one is on no member).
pub async fn by_card(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    card_no: &str,
) -> Result<Option<MemberRow>, StoreError> {
    Ok(mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::CardNo.eq(card_no))
        .filter(in_scope(tenant, scope))
        .one(c)
        .await?)
}

fn live() -> Condition {
    Condition::all().add(mb::Column::Status.ne(MemberStatus::Cancelled.as_str()))
}

/// Live members (not cancelled) whose customer has this phone or id number, or is one of
/// `customers`; oldest first, ignoring scope (for the review and for approval).
pub async fn live_matching(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    phone: Option<&str>,
    id_number: Option<&str>,
    customers: &[Uuid],
) -> Result<Vec<MemberRow>, StoreError> {
    let mut any = Condition::any();
    if phone.is_some() || id_number.is_some() {
        any = any.add(mb::Column::CustomerId.in_subquery(records::ids_with_key(tenant, phone, id_number)));
    }
    if !customers.is_empty() {
        any = any.add(mb::Column::CustomerId.is_in(customers.to_vec()));
    }
    if phone.is_none() && id_number.is_none() && customers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(live())
        .filter(any)
        .order_by_asc(mb::Column::Id)
        .limit(20)
        .all(c)
        .await?)
}

/// Live members whose customer has this phone, within the scope.
pub async fn live_by_phone(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    phone: &str,
) -> Result<Vec<MemberRow>, StoreError> {
    Ok(mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(live())
        .filter(mb::Column::CustomerId.in_subquery(records::ids_with_key(tenant, Some(phone), None)))
        .filter(in_scope(tenant, scope))
        .order_by_asc(mb::Column::Id)
        .limit(2)
        .all(c)
        .await?)
}

/// List filters.
#[derive(Debug, Default, Clone)]
pub struct MemberFilter {
    pub status: Option<MemberStatus>,
    pub level_id: Option<Uuid>,
    pub channel: Option<String>,
    pub joined_from: Option<DateTime<Utc>>,
    pub joined_to: Option<DateTime<Utc>>,
    /// Conditions on the member's customer (tag, owner).
    pub customer: CustomerFilter,
    /// A card-number prefix; with `customer.q`, either may match.
    pub card_prefix: Option<String>,
}

/// One page in id order after `after`, within the scope.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    f: &MemberFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<MemberRow>, StoreError> {
    let mut q = mb::Entity::find().filter(mb::Column::TenantId.eq(tenant.0));
    if let Some(s) = f.status {
        q = q.filter(mb::Column::Status.eq(s.as_str()));
    }
    if let Some(l) = f.level_id {
        q = q.filter(mb::Column::LevelId.eq(l));
    }
    if let Some(ch) = &f.channel {
        q = q.filter(mb::Column::Channel.eq(ch.clone()));
    }
    if let Some(t) = f.joined_from {
        q = q.filter(mb::Column::JoinedAt.gte(t));
    }
    if let Some(t) = f.joined_to {
        q = q.filter(mb::Column::JoinedAt.lt(t));
    }
    // The text search: the card number, or the customer's name, pinyin or phone.
    let mut customer = f.customer.clone();
    let text = customer.q.take();
    if text.is_some() || f.card_prefix.is_some() {
        let mut any = Condition::any();
        if let Some(p) = f.card_prefix.as_deref() {
            any = any
                .add(Condition::all().add(mb::Column::CardNo.gte(p)).add(mb::Column::CardNo.lt(prefix_upper_bound(p))));
        }
        if let Some(t) = text {
            let by_text = CustomerFilter { q: Some(t), ..CustomerFilter::default() };
            any =
                any.add(mb::Column::CustomerId.in_subquery(records::ids_matching(tenant, &ScopeFilter::All, &by_text)));
        }
        q = q.filter(any);
    }
    if customer.owner_id.is_some() || customer.tag_id.is_some() || !customer.criteria.is_empty() {
        q = q.filter(mb::Column::CustomerId.in_subquery(records::ids_matching(tenant, scope, &customer)));
    } else {
        q = q.filter(in_scope(tenant, scope));
    }
    if let Some(a) = after {
        q = q.filter(mb::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(mb::Column::Id).limit(limit).all(c).await?)
}

/// Moves the members of one customer to another (a customer merge).
pub async fn repoint_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    from: Uuid,
    to: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<Uuid> = mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::CustomerId.eq(from))
        .all(c)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    mb::Entity::update_many()
        .col_expr(mb::Column::CustomerId, sea_orm::sea_query::Expr::value(to))
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::CustomerId.eq(from))
        .exec(c)
        .await?;
    Ok(ids)
}
