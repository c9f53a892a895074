//! Purchases from the sales system and their payments and refunds. A purchase is keyed by
//! `(source, external_id)`: [`insert`] is `ON CONFLICT DO NOTHING`, so of concurrent identical
//! pushes one inserts and the others find it. Every later change of a purchase reads it with
//! [`lock`] first; payments and refunds are keyed by their external id within the purchase.

use crate::StoreError;
use crate::entities::{purchase_payments as pp, purchases as pu};
use crate::membership::members;
use crate::scope::ScopeFilter;
use crate::stored::{Insertion, insertion, parse_stored};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::{MemberId, PaymentId, PointsPlanId, PurchaseId, TenantId};
use crm_domain::loyalty::plan::EffectiveWhen;
use crm_domain::loyalty::purchase::{PaymentKind, PurchaseStatus};
use crm_domain::loyalty::{Money, Points};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

/// A purchase as stored. `reward_points`/`upgrade_points` are what it earns now (for its amount
/// net of refunds; zero once cancelled); its entries always sum to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub id: PurchaseId,
    pub source: String,
    pub external_id: String,
    pub member_id: MemberId,
    pub plan_id: Option<PointsPlanId>,
    pub amount: Money,
    pub currency: String,
    pub occurred_at: DateTime<Utc>,
    pub business_date: NaiveDate,
    pub description: Option<String>,
    /// SHA-256 of the push as first accepted: a replay with another body is refused.
    pub request_hash: String,
    pub status: PurchaseStatus,
    pub effective_when: Option<EffectiveWhen>,
    pub reward_points: Points,
    pub upgrade_points: Points,
    pub paid: Money,
    pub refunded: Money,
    pub effective_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<pu::Model> for Purchase {
    type Error = StoreError;

    fn try_from(m: pu::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: PurchaseId(m.id),
            source: m.source,
            external_id: m.external_id,
            member_id: MemberId(m.member_id),
            plan_id: m.plan_id.map(PointsPlanId),
            amount: Money::from_fen(m.amount_fen),
            currency: m.currency,
            occurred_at: m.occurred_at,
            business_date: m.business_date,
            description: m.description,
            request_hash: m.request_hash,
            status: parse_stored("status", &m.status, PurchaseStatus::parse)?,
            effective_when: m
                .effective_when
                .map(|e| parse_stored("effective_when", &e, EffectiveWhen::parse))
                .transpose()?,
            reward_points: Points::new(m.reward_points),
            upgrade_points: Points::new(m.upgrade_points),
            paid: Money::from_fen(m.paid_fen),
            refunded: Money::from_fen(m.refunded_fen),
            effective_at: m.effective_at,
            cancelled_at: m.cancelled_at,
            cancel_reason: m.cancel_reason,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

fn one(m: Option<pu::Model>) -> Result<Option<Purchase>, StoreError> {
    m.map(Purchase::try_from).transpose()
}

/// Inserts `p` unless its `(source, external_id)` is taken (`AlreadyThere`: read it with
/// [`by_external`]; a concurrent insert of the same key has committed by then).
pub async fn insert(c: &impl ConnectionTrait, tenant: TenantId, p: &Purchase) -> Result<Insertion<()>, StoreError> {
    let am = pu::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(p.id.0),
        source: Set(p.source.clone()),
        external_id: Set(p.external_id.clone()),
        member_id: Set(p.member_id.0),
        plan_id: Set(p.plan_id.map(|x| x.0)),
        amount_fen: Set(p.amount.fen()),
        currency: Set(p.currency.clone()),
        occurred_at: Set(p.occurred_at),
        business_date: Set(p.business_date),
        description: Set(p.description.clone()),
        request_hash: Set(p.request_hash.clone()),
        status: Set(p.status.as_str().to_owned()),
        effective_when: Set(p.effective_when.map(|e| e.as_str().to_owned())),
        reward_points: Set(p.reward_points.get()),
        upgrade_points: Set(p.upgrade_points.get()),
        paid_fen: Set(p.paid.fen()),
        refunded_fen: Set(p.refunded.fen()),
        effective_at: Set(p.effective_at),
        cancelled_at: Set(p.cancelled_at),
        cancel_reason: Set(p.cancel_reason.clone()),
        created_by: Set(p.created_by),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
    };
    let res = pu::Entity::insert(am)
        .on_conflict_do_nothing_on([pu::Column::TenantId, pu::Column::Source, pu::Column::ExternalId])
        .exec_without_returning(c)
        .await?;
    Ok(insertion(res))
}

/// Writes what a payment, refund or cancellation changed (the purchase's state, points and
/// money); returns the purchase as stored.
pub async fn update(c: &impl ConnectionTrait, tenant: TenantId, p: &Purchase) -> Result<Purchase, StoreError> {
    let am = pu::ActiveModel {
        tenant_id: Unchanged(tenant.0),
        id: Unchanged(p.id.0),
        status: Set(p.status.as_str().to_owned()),
        reward_points: Set(p.reward_points.get()),
        upgrade_points: Set(p.upgrade_points.get()),
        paid_fen: Set(p.paid.fen()),
        refunded_fen: Set(p.refunded.fen()),
        effective_at: Set(p.effective_at),
        cancelled_at: Set(p.cancelled_at),
        cancel_reason: Set(p.cancel_reason.clone()),
        updated_at: Set(p.updated_at),
        ..Default::default()
    };
    am.update(c).await?.try_into()
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: PurchaseId) -> Result<Option<Purchase>, StoreError> {
    one(pu::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
}

/// One purchase, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's
/// writers are serialized already): every change of a purchase reads it this way first.
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, id: PurchaseId) -> Result<Option<Purchase>, StoreError> {
    one(pu::Entity::find_by_id((tenant.0, id.0)).lock_exclusive().one(c).await?)
}

pub async fn by_external(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_id: &str,
) -> Result<Option<Purchase>, StoreError> {
    one(pu::Entity::find()
        .filter(pu::Column::TenantId.eq(tenant.0))
        .filter(pu::Column::Source.eq(source))
        .filter(pu::Column::ExternalId.eq(external_id))
        .one(c)
        .await?)
}

/// Filters of the purchase list.
#[derive(Debug, Clone, Default)]
pub struct PurchaseFilter {
    pub member_id: Option<MemberId>,
    pub status: Option<PurchaseStatus>,
    pub source: Option<String>,
}

/// Purchases, newest first, after the cursor purchase `before`.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    f: &PurchaseFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Purchase>, StoreError> {
    let mut q = pu::Entity::find().filter(pu::Column::TenantId.eq(tenant.0));
    if let Some(m) = f.member_id {
        q = q.filter(pu::Column::MemberId.eq(m.0));
    }
    if let Some(s) = f.status {
        q = q.filter(pu::Column::Status.eq(s.as_str()));
    }
    if let Some(s) = &f.source {
        q = q.filter(pu::Column::Source.eq(s.as_str()));
    }
    if !matches!(scope, ScopeFilter::All) {
        q = q.filter(pu::Column::MemberId.in_subquery(members::ids_in_scope(tenant, scope)));
    }
    if let Some(b) = before {
        q = q.filter(pu::Column::Id.lt(b));
    }
    q.order_by_desc(pu::Column::Id).limit(limit).all(c).await?.into_iter().map(Purchase::try_from).collect()
}

/// A payment or refund of a purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub purchase_id: PurchaseId,
    pub kind: PaymentKind,
    pub external_id: String,
    pub amount: Money,
    pub at: DateTime<Utc>,
    pub request_hash: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<pp::Model> for Payment {
    type Error = StoreError;

    fn try_from(m: pp::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: PaymentId(m.id),
            purchase_id: PurchaseId(m.purchase_id),
            kind: parse_stored("kind", &m.kind, PaymentKind::parse)?,
            external_id: m.external_id,
            amount: Money::from_fen(m.amount_fen),
            at: m.at,
            request_hash: m.request_hash,
            created_at: m.created_at,
        })
    }
}

/// Inserts a payment or refund unless its external id is known within the purchase already.
pub async fn insert_payment(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    p: &Payment,
) -> Result<Insertion<()>, StoreError> {
    let am = pp::ActiveModel {
        tenant_id: Set(tenant.0),
        purchase_id: Set(p.purchase_id.0),
        kind: Set(p.kind.as_str().to_owned()),
        external_id: Set(p.external_id.clone()),
        id: Set(p.id.0),
        amount_fen: Set(p.amount.fen()),
        at: Set(p.at),
        request_hash: Set(p.request_hash.clone()),
        created_at: Set(p.created_at),
    };
    Ok(insertion(pp::Entity::insert(am).on_conflict_do_nothing().exec_without_returning(c).await?))
}

pub async fn payment(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    purchase: PurchaseId,
    kind: PaymentKind,
    external_id: &str,
) -> Result<Option<Payment>, StoreError> {
    pp::Entity::find_by_id((tenant.0, purchase.0, kind.as_str().to_owned(), external_id.to_owned()))
        .one(c)
        .await?
        .map(Payment::try_from)
        .transpose()
}

/// A purchase's payments and refunds, in the order they were recorded.
pub async fn payments_of(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    purchase: PurchaseId,
) -> Result<Vec<Payment>, StoreError> {
    pp::Entity::find()
        .filter(pp::Column::TenantId.eq(tenant.0))
        .filter(pp::Column::PurchaseId.eq(purchase.0))
        .order_by_asc(pp::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(Payment::try_from)
        .collect()
}
