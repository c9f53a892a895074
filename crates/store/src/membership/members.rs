//! Members: insert and change them, reads within the data scope (through the member's customer
//! and its owner), lookups by card number, phone, id number or customer, and lists.

use crate::StoreError;
use crate::customers::records::{self, CustomerFilter};
use crate::entities::members as mb;
use crate::scope::ScopeFilter;
use crate::stored::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::{ApplicationId, LevelId, MemberId, TenantId};
use crm_domain::membership::{Channel, MemberStatus};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

/// A membership as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub customer_id: Uuid,
    /// The current card number (earlier ones are retired in the pool).
    pub card_no: String,
    pub status: MemberStatus,
    pub level_id: Option<LevelId>,
    /// How the member enrolled.
    pub channel: Channel,
    pub application_id: Option<ApplicationId>,
    pub joined_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new, active member.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub id: MemberId,
    pub customer_id: Uuid,
    pub card_no: String,
    pub level_id: Option<LevelId>,
    pub channel: Channel,
    pub application_id: Option<ApplicationId>,
    pub created_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// A change of a member; absent parts stay.
#[derive(Debug, Clone, Default)]
pub struct MemberChanges {
    pub status: Option<MemberStatus>,
    pub card_no: Option<String>,
    pub level_id: Option<Option<LevelId>>,
    /// When and why the membership ended.
    pub cancelled: Option<(DateTime<Utc>, Option<String>)>,
}

impl TryFrom<mb::Model> for Member {
    type Error = StoreError;

    fn try_from(m: mb::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: MemberId(m.id),
            customer_id: m.customer_id,
            card_no: m.card_no,
            status: parse_stored("status", &m.status, MemberStatus::parse)?,
            level_id: m.level_id.map(LevelId),
            channel: parse_stored("channel", &m.channel, Channel::parse)?,
            application_id: m.application_id.map(ApplicationId),
            joined_at: m.joined_at,
            cancelled_at: m.cancelled_at,
            cancel_reason: m.cancel_reason,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn one(m: Option<mb::Model>) -> Result<Option<Member>, StoreError> {
    m.map(Member::try_from).transpose()
}

fn all(rows: Vec<mb::Model>) -> Result<Vec<Member>, StoreError> {
    rows.into_iter().map(Member::try_from).collect()
}

/// Inserts an active member (a unique conflict on the card number or the customer's live
/// membership is the caller's to explain).
pub async fn insert(c: &impl ConnectionTrait, tenant: TenantId, new: NewMember) -> Result<(), StoreError> {
    let am = mb::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(new.id.0),
        customer_id: Set(new.customer_id),
        card_no: Set(new.card_no),
        status: Set(MemberStatus::Active.as_str().to_owned()),
        level_id: Set(new.level_id.map(|l| l.0)),
        channel: Set(new.channel.as_str().to_owned()),
        application_id: Set(new.application_id.map(|a| a.0)),
        joined_at: Set(new.at),
        cancelled_at: Set(None),
        cancel_reason: Set(None),
        created_by: Set(new.created_by),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    };
    mb::Entity::insert(am).exec_without_returning(c).await?;
    Ok(())
}

/// Writes `changes` and the change time; returns the member as stored.
pub async fn update(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: MemberId,
    changes: MemberChanges,
    at: DateTime<Utc>,
) -> Result<Member, StoreError> {
    let mut am = mb::ActiveModel { tenant_id: Unchanged(tenant.0), id: Unchanged(id.0), ..Default::default() };
    if let Some(s) = changes.status {
        am.status = Set(s.as_str().to_owned());
    }
    if let Some(n) = changes.card_no {
        am.card_no = Set(n);
    }
    if let Some(l) = changes.level_id {
        am.level_id = Set(l.map(|l| l.0));
    }
    if let Some((when, reason)) = changes.cancelled {
        am.cancelled_at = Set(Some(when));
        am.cancel_reason = Set(reason);
    }
    am.updated_at = Set(at);
    am.update(c).await?.try_into()
}

/// One member of the tenant, ignoring scope (for internal checks).
pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: MemberId) -> Result<Option<Member>, StoreError> {
    one(mb::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

fn in_scope(tenant: TenantId, scope: &ScopeFilter) -> Condition {
    match scope {
        ScopeFilter::All => Condition::all(),
        s => Condition::all().add(mb::Column::CustomerId.in_subquery(records::ids_in_scope(tenant, s))),
    }
}

/// The ids of the members whose customer the scope shows (a subquery for records owned through
/// a member: purchases, points).
pub fn ids_in_scope(tenant: TenantId, scope: &ScopeFilter) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::QueryTrait;
    mb::Entity::find()
        .select_only()
        .column(mb::Column::Id)
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(in_scope(tenant, scope))
        .into_query()
}

fn scoped(tenant: TenantId, scope: &ScopeFilter, id: MemberId) -> Select<mb::Entity> {
    mb::Entity::find()
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::Id.eq(id.0))
        .filter(in_scope(tenant, scope))
}

/// One member whose customer the scope shows.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: MemberId,
) -> Result<Option<Member>, StoreError> {
    one(scoped(tenant, scope, id).one(c).await?)
}

/// One member whose customer the scope shows, locked until the transaction ends (`FOR UPDATE`
/// on PostgreSQL; SQLite's writers are serialized already): every change of a member reads it
/// this way, so the next change of the same member waits and then sees this one.
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: MemberId,
) -> Result<Option<Member>, StoreError> {
    one(scoped(tenant, scope, id).lock_exclusive().one(c).await?)
}

/// The member holding a card number (current numbers only: a retired one is on no member).
pub async fn by_card(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    card_no: &str,
) -> Result<Option<Member>, StoreError> {
    one(mb::Entity::find()
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
) -> Result<Vec<Member>, StoreError> {
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
    all(mb::Entity::find()
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
) -> Result<Vec<Member>, StoreError> {
    all(mb::Entity::find()
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
    pub level_id: Option<LevelId>,
    pub channel: Option<Channel>,
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
) -> Result<Vec<Member>, StoreError> {
    let mut q = mb::Entity::find().filter(mb::Column::TenantId.eq(tenant.0));
    if let Some(s) = f.status {
        q = q.filter(mb::Column::Status.eq(s.as_str()));
    }
    if let Some(l) = f.level_id {
        q = q.filter(mb::Column::LevelId.eq(l.0));
    }
    if let Some(ch) = f.channel {
        q = q.filter(mb::Column::Channel.eq(ch.as_str()));
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
    all(q.order_by_asc(mb::Column::Id).limit(limit).all(c).await?)
}

/// Moves the members of one customer to another (a customer merge).
pub async fn repoint_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    from: Uuid,
    to: Uuid,
) -> Result<Vec<MemberId>, StoreError> {
    let ids: Vec<MemberId> = mb::Entity::find()
        .select_only()
        .column(mb::Column::Id)
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::CustomerId.eq(from))
        .into_tuple::<Uuid>()
        .all(c)
        .await?
        .into_iter()
        .map(MemberId)
        .collect();
    mb::Entity::update_many()
        .col_expr(mb::Column::CustomerId, sea_orm::sea_query::Expr::value(to))
        .filter(mb::Column::TenantId.eq(tenant.0))
        .filter(mb::Column::CustomerId.eq(from))
        .exec(c)
        .await?;
    Ok(ids)
}
