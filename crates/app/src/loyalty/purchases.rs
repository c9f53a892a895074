//! 购房类积分: purchases pushed by the sales system, per the integration contract. A push is
//! idempotent by `(source, external_id)`: the same body answers the purchase recorded first
//! (`replayed`), another body is 409 `purchase.external_id_reused`; concurrent identical pushes
//! insert one row (`ON CONFLICT DO NOTHING`) and credit once (the ledger's unique key). Its points
//! are `pending`; payments (idempotent by their external id) accumulate under the purchase's row
//! lock, and once the purchase is paid as its plan item requires the pending entry is matched by
//! an available one. Refunds and cancellation reverse exactly what it holds, through
//! `ledger::settle`, so the purchase's entries always sum to its state.
//!
//! A payment names the purchase by the id its push answered; one for a purchase that was never
//! pushed is 404 `purchase.not_found` (the sales system pushes the purchase, which is safe to
//! retry, then retries the payment): nothing is held for a purchase that may never come.

use super::ledger::{self, Origin};
use crate::codes::Code;
use crate::integration::events;
use crate::membership::members::{Lookup, find_by};
use crate::paging::{Page, PageRequest};
use crate::platform::settings::TenantSettings;
use crate::platform::{audit, settings};
use crate::{Access, App, AppError};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::FieldError;
use crm_domain::ids::{MemberId, PaymentId, PointsPlanId, PurchaseId};
use crm_domain::integration::events::{
    DomainEvent, PointsConfirmedV1, PointsCreditedV1, PointsReversedV1, PurchaseCancelledV1, PurchaseRecordedV1,
};
use crm_domain::loyalty::ledger::{Earned, Held, SourceType, paid_as_required, purchase_points, settle};
use crm_domain::loyalty::plan::{EffectiveWhen, ItemCategory};
use crm_domain::loyalty::purchase::{PaymentKind, PurchaseStatus};
use crm_domain::loyalty::{Money, Points, business_date};
use crm_domain::membership::{MemberStatus, Multiplier};
use crm_store::loyalty::ledger as entries;
use crm_store::loyalty::plans;
pub use crm_store::loyalty::purchases::PurchaseFilter;
use crm_store::loyalty::purchases::{self as store, Payment, Purchase};
use crm_store::membership::members::{self, Member};
use crm_store::{ConnectionTrait, DatabaseTransaction, Insertion, StoreError};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

const NOT_FOUND: AppError = AppError::NotFound { entity: "purchase" };

/// How a push names its member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    Id(MemberId),
    CardNo(String),
    Phone(String),
}

/// A purchase as pushed, parsed.
#[derive(Debug, Clone)]
pub struct PurchaseInput {
    pub source: String,
    pub external_id: String,
    pub member: MemberRef,
    pub amount: Money,
    pub currency: String,
    pub occurred_at: DateTime<Utc>,
    pub description: Option<String>,
}

/// A payment or refund as pushed, parsed.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub external_id: String,
    pub amount: Money,
    pub at: DateTime<Utc>,
}

/// A payment or refund of a purchase.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentView {
    pub id: PaymentId,
    pub kind: PaymentKind,
    pub external_id: String,
    pub amount: Money,
    /// When it was paid or refunded (as the sales system says).
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

impl From<Payment> for PaymentView {
    fn from(p: Payment) -> Self {
        Self {
            id: p.id,
            kind: p.kind,
            external_id: p.external_id,
            amount: p.amount,
            at: p.at,
            recorded_at: p.created_at,
        }
    }
}

/// A purchase and its points.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseView {
    pub id: PurchaseId,
    pub source: String,
    pub external_id: String,
    pub member_id: MemberId,
    /// The plan whose period contains the purchase's business date; `null`: none (no points).
    pub plan_id: Option<PointsPlanId>,
    pub amount: Money,
    pub currency: String,
    pub occurred_at: DateTime<Utc>,
    /// The day the purchase belongs to, in the tenant's time zone.
    pub business_date: NaiveDate,
    pub description: Option<String>,
    /// `pending` until paid as required, then `effective`; `cancelled` after cancellation.
    pub status: PurchaseStatus,
    /// When its points turn available (`null`: the plan has no purchase item).
    pub effective_when: Option<EffectiveWhen>,
    /// Reward points it earns now (for its amount net of refunds; 0 once cancelled).
    pub reward_points: Points,
    pub upgrade_points: Points,
    pub paid: Money,
    pub refunded: Money,
    pub effective_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Payments and refunds, in the order they were recorded (one purchase's view; lists leave
    /// them out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<PaymentView>>,
}

fn view(p: Purchase, payments: Option<Vec<Payment>>) -> PurchaseView {
    PurchaseView {
        id: p.id,
        source: p.source,
        external_id: p.external_id,
        member_id: p.member_id,
        plan_id: p.plan_id,
        amount: p.amount,
        currency: p.currency,
        occurred_at: p.occurred_at,
        business_date: p.business_date,
        description: p.description,
        status: p.status,
        effective_when: p.effective_when,
        reward_points: p.reward_points,
        upgrade_points: p.upgrade_points,
        paid: p.paid,
        refunded: p.refunded,
        effective_at: p.effective_at,
        cancelled_at: p.cancelled_at,
        cancel_reason: p.cancel_reason,
        created_at: p.created_at,
        payments: payments.map(|ps| ps.into_iter().map(Into::into).collect()),
    }
}

/// What a push or a payment did: written now, or the answer of an earlier identical request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub purchase: PurchaseView,
    pub replayed: bool,
}

fn hash(parts: serde_json::Value) -> String {
    hex::encode(Sha256::digest(parts.to_string().as_bytes()))
}

fn push_hash(i: &PurchaseInput) -> String {
    let member = match &i.member {
        MemberRef::Id(id) => json!({"id": id}),
        MemberRef::CardNo(c) => json!({"card_no": c}),
        MemberRef::Phone(p) => json!({"phone": p}),
    };
    hash(json!([i.source, i.external_id, member, i.amount.fen(), i.currency, i.occurred_at, i.description]))
}

fn payment_hash(kind: PaymentKind, p: &PaymentInput) -> String {
    hash(json!([kind, p.external_id, p.amount.fen(), p.at]))
}

/// Why a purchase entry was written, in words: the rule applied.
fn rule_text(
    amount: Money,
    currency: &str,
    per: Option<Money>,
    reward: Points,
    upgrade: Points,
    m: Multiplier,
) -> String {
    match per {
        Some(per) => format!(
            "purchase of {amount} {currency}: {reward} reward and {upgrade} upgrade points per {per}, rounded down; reward points x {m} (level multiplier)"
        ),
        None => format!("purchase of {amount} {currency}"),
    }
}

/// What the member's level multiplies reward points by.
async fn multiplier_of(c: &impl ConnectionTrait, who: &Access, m: &Member) -> Result<Multiplier, AppError> {
    let Some(level) = m.level_id else { return Ok(Multiplier::ONE) };
    let levels = crate::membership::levels::current(c, who).await?;
    Ok(levels.iter().find(|l| l.id == level).map_or(Multiplier::ONE, |l| l.spec.multiplier))
}

/// Sums a purchase's entries, per kind and status.
async fn held(tx: &DatabaseTransaction, who: &Access, id: PurchaseId) -> Result<Held, AppError> {
    let rows = entries::of_purchase(tx, who.tenant_id, id).await?;
    rows.iter()
        .try_fold(Held::default(), |h, e| {
            h.with(crm_domain::loyalty::ledger::Move { kind: e.kind, status: e.status, delta: e.delta })
        })
        .ok_or_else(|| AppError::Internal("purchase entries overflow".to_owned()))
}

/// What the purchase earns for `net` (its amount net of refunds) under its plan's purchase item.
async fn target(c: &impl ConnectionTrait, who: &Access, p: &Purchase, net: Money) -> Result<Earned, AppError> {
    let Some(plan_id) = p.plan_id else { return Ok(Earned::default()) };
    let Some(plan) = plans::find(c, who.tenant_id, plan_id).await? else { return Ok(Earned::default()) };
    let Some(item) = plan.spec.item(ItemCategory::Purchase) else { return Ok(Earned::default()) };
    let member = members::find(c, who.tenant_id, p.member_id).await?;
    let m = match &member {
        Some(m) => multiplier_of(c, who, m).await?,
        None => Multiplier::ONE,
    };
    purchase_points(net, item, m).ok_or_else(|| FieldError::new("/amount", "points_overflow").into())
}

/// One step of a purchase's points: where it should be, and the source and reason of its entries.
struct Step {
    /// What the purchase's entries hold, when the caller knows (a purchase just inserted holds
    /// nothing); else it is read.
    held: Option<Held>,
    goal: Earned,
    effective: bool,
    source: (SourceType, String),
    reason: Option<String>,
}

/// Writes the entries that take the purchase to the step's goal (available when `effective`);
/// returns the entries written (none when it holds them already).
async fn settle_purchase(
    tx: &DatabaseTransaction,
    who: &Access,
    s: &TenantSettings,
    p: &Purchase,
    step: Step,
) -> Result<Vec<crm_store::loyalty::ledger::Entry>, AppError> {
    let Step { held: known, goal, effective, source, reason } = step;
    let now = match known {
        Some(h) => h,
        None => held(tx, who, p.id).await?,
    };
    let moves = settle(goal, effective, now).ok_or_else(|| AppError::Internal("points overflow".to_owned()))?;
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    let origin = Origin {
        member_id: p.member_id,
        plan_id: p.plan_id,
        source_type: source.0,
        source_id: source.1,
        item: Some(ItemCategory::Purchase),
        purchase_id: Some(p.id),
        reason,
        business_date: p.business_date,
    };
    let written = ledger::entries(who, &origin, &moves, Utc::now());
    ledger::post(tx, who, s, &written).await?;
    Ok(written)
}

/// Refuses what another caller's member may not be changed through.
async fn locked(tx: &DatabaseTransaction, who: &Access, id: PurchaseId) -> Result<Purchase, AppError> {
    let p = store::lock(tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
    members::find_scoped(tx, who.tenant_id, &who.scope, p.member_id).await?.ok_or(NOT_FOUND)?;
    Ok(p)
}

impl App {
    async fn purchase_view(
        &self,
        c: &impl ConnectionTrait,
        who: &Access,
        p: Purchase,
    ) -> Result<PurchaseView, AppError> {
        let payments = store::payments_of(c, who.tenant_id, p.id).await?;
        Ok(view(p, Some(payments)))
    }

    /// Replays the purchase first recorded under `(source, external_id)`, or refuses a different body.
    async fn replay_push(&self, who: &Access, i: &PurchaseInput, h: &str) -> Result<Option<Recorded>, AppError> {
        let db = self.store().conn();
        let Some(p) = store::by_external(db, who.tenant_id, &i.source, &i.external_id).await? else {
            return Ok(None);
        };
        if p.request_hash != h {
            return Err(AppError::Conflict {
                code: Code::PurchaseExternalIdReused,
                field: Some("/external_id".to_owned()),
            });
        }
        // Another caller's member stays out of sight, replay or not.
        members::find_scoped(db, who.tenant_id, &who.scope, p.member_id).await?.ok_or(NOT_FOUND)?;
        Ok(Some(Recorded { purchase: self.purchase_view(db, who, p).await?, replayed: true }))
    }

    /// Records a purchase and its pending points.
    pub async fn record_purchase(&self, who: &Access, i: PurchaseInput) -> Result<Recorded, AppError> {
        who.require("purchases:write")?;
        let h = push_hash(&i);
        if let Some(r) = self.replay_push(who, &i, &h).await? {
            return Ok(r);
        }
        let s = settings::current(self.store().conn(), who).await?;
        let tx = self.store().begin_write().await?;
        let (found, field) = match &i.member {
            MemberRef::Id(id) => (members::find_scoped(&tx, who.tenant_id, &who.scope, *id).await?, "/member/id"),
            MemberRef::CardNo(c) => {
                (find_by(&tx, who, &Lookup::CardNo(c.clone()), "/member").await?, "/member/card_no")
            }
            MemberRef::Phone(p) => (find_by(&tx, who, &Lookup::Phone(p.clone()), "/member").await?, "/member/phone"),
        };
        let member = found.ok_or_else(|| FieldError::new(field, "not_found"))?;
        if member.status == MemberStatus::Cancelled {
            return Err(FieldError::new(field, "member_cancelled").into());
        }
        let day = business_date(i.occurred_at, s.tz());
        let plan = plans::covering(&tx, who.tenant_id, day).await?;
        let item = plan.as_ref().and_then(|p| p.spec.item(ItemCategory::Purchase)).cloned();
        let multiplier = multiplier_of(&tx, who, &member).await?;
        let earned = match &item {
            Some(it) => purchase_points(i.amount, it, multiplier)
                .ok_or_else(|| FieldError::new("/amount", "points_overflow"))?,
            None => Earned::default(),
        };
        let now = Utc::now();
        let p = Purchase {
            id: PurchaseId::new(),
            source: i.source.clone(),
            external_id: i.external_id.clone(),
            member_id: member.id,
            plan_id: plan.as_ref().map(|p| p.id),
            amount: i.amount,
            currency: i.currency.clone(),
            occurred_at: i.occurred_at,
            business_date: day,
            description: i.description.clone(),
            request_hash: h.clone(),
            status: PurchaseStatus::Pending,
            effective_when: item.as_ref().and_then(|it| it.effective_when),
            reward_points: earned.reward,
            upgrade_points: earned.upgrade,
            paid: Money::ZERO,
            refunded: Money::ZERO,
            effective_at: None,
            cancelled_at: None,
            cancel_reason: None,
            created_by: who.actor.id(),
            created_at: now,
            updated_at: now,
        };
        if store::insert(&tx, who.tenant_id, &p).await? == Insertion::AlreadyThere {
            // A concurrent push of the same key committed first: answer as its replay.
            drop(tx);
            return self.replay_push(who, &i, &h).await?.ok_or(NOT_FOUND);
        }
        let (per, r, u) = item.as_ref().map_or((None, Points::ZERO, Points::ZERO), |it| {
            (it.amount_per_point, it.reward_points, it.upgrade_points)
        });
        let reason = rule_text(i.amount, &i.currency, per, r, u, multiplier);
        let step = Step {
            held: Some(Held::default()),
            goal: earned,
            effective: false,
            source: (SourceType::Purchase, p.id.0.to_string()),
            reason: Some(reason.clone()),
        };
        let written = settle_purchase(&tx, who, &s, &p, step).await?;
        let recorded = PurchaseRecordedV1 {
            purchase_id: p.id.0,
            member_id: p.member_id.0,
            source: p.source.clone(),
            external_id: p.external_id.clone(),
            amount: p.amount,
            currency: p.currency.clone(),
            occurred_at: p.occurred_at,
            status: p.status,
            plan_id: p.plan_id.map(|x| x.0),
            reward_points: p.reward_points,
            upgrade_points: p.upgrade_points,
        };
        let mut happened = vec![DomainEvent::PurchaseRecorded(recorded)];
        if !written.is_empty() {
            happened.push(DomainEvent::PointsCredited(PointsCreditedV1 {
                member_id: p.member_id.0,
                source_type: SourceType::Purchase,
                source_id: p.id.0.to_string(),
                purchase_id: Some(p.id.0),
                reason: Some(reason),
                entries: ledger::facts(&written),
            }));
        }
        events::emit_many(&tx, who, happened).await?;
        let audit_entry = json!({
            "source": p.source, "external_id": p.external_id, "member_id": p.member_id, "amount": p.amount,
            "currency": p.currency, "plan_id": p.plan_id, "reward_points": p.reward_points, "upgrade_points": p.upgrade_points,
        });
        audit::record(&tx, who, "create", "purchase", p.id.0, audit_entry).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Recorded { purchase: view(p, Some(Vec::new())), replayed: false })
    }

    /// Records a payment; when the purchase is now paid as its plan requires, its pending points
    /// turn available.
    pub async fn record_payment(&self, who: &Access, id: PurchaseId, i: PaymentInput) -> Result<Recorded, AppError> {
        who.require("purchases:write")?;
        if i.amount.fen() <= 0 {
            return Err(FieldError::new("/amount", "range").with("min", "0.01").into());
        }
        self.money_movement(who, id, PaymentKind::Payment, i, None).await
    }

    /// Records a partial refund: the purchase's points follow its amount net of refunds.
    pub async fn record_refund(
        &self,
        who: &Access,
        id: PurchaseId,
        i: PaymentInput,
        reason: Option<String>,
    ) -> Result<Recorded, AppError> {
        who.require("purchases:write")?;
        if i.amount.fen() <= 0 {
            return Err(FieldError::new("/amount", "range").with("min", "0.01").into());
        }
        self.money_movement(who, id, PaymentKind::Refund, i, reason).await
    }

    async fn money_movement(
        &self,
        who: &Access,
        id: PurchaseId,
        kind: PaymentKind,
        i: PaymentInput,
        reason: Option<String>,
    ) -> Result<Recorded, AppError> {
        let s = settings::current(self.store().conn(), who).await?;
        let h = payment_hash(kind, &i);
        let tx = self.store().begin_write().await?;
        let mut p = locked(&tx, who, id).await?;
        let now = Utc::now();
        let payment = Payment {
            id: PaymentId::new(),
            purchase_id: id,
            kind,
            external_id: i.external_id.clone(),
            amount: i.amount,
            at: i.at,
            request_hash: h.clone(),
            created_at: now,
        };
        if let Some(first) = store::payment(&tx, who.tenant_id, id, kind, &i.external_id).await? {
            if first.request_hash != h {
                return Err(AppError::Conflict {
                    code: Code::PaymentExternalIdReused,
                    field: Some("/external_id".to_owned()),
                });
            }
            let purchase = self.purchase_view(&tx, who, p).await?;
            return Ok(Recorded { purchase, replayed: true });
        }
        if p.status == PurchaseStatus::Cancelled {
            return Err(AppError::Conflict { code: Code::PurchaseCancelled, field: None });
        }
        // Under the purchase's lock nobody else records one of its payments: the insert cannot
        // meet a twin (the key decides anyway).
        if store::insert_payment(&tx, who.tenant_id, &payment).await? == Insertion::AlreadyThere {
            return Err(AppError::Conflict { code: Code::ResourceContention, field: None });
        }
        let money = |m: Option<Money>| m.ok_or_else(|| AppError::from(FieldError::new("/amount", "money_invalid")));
        match kind {
            PaymentKind::Payment => p.paid = money(p.paid.checked_add(i.amount))?,
            PaymentKind::Refund => {
                let refunded = money(p.refunded.checked_add(i.amount))?;
                if refunded > p.amount {
                    return Err(AppError::Conflict {
                        code: Code::RefundExceedsAmount,
                        field: Some("/amount".to_owned()),
                    });
                }
                p.refunded = refunded;
            }
        }
        let net = money(p.amount.checked_sub(p.refunded))?;
        let was_effective = p.status == PurchaseStatus::Effective;
        let mut reversed = Vec::new();
        if kind == PaymentKind::Refund {
            let goal = target(&tx, who, &p, net).await?;
            let source = (SourceType::PurchaseRefund, format!("{}:{}", p.id.0, i.external_id));
            let why = Some(reason.clone().unwrap_or_else(|| format!("refund {} of {}", i.amount, p.amount)));
            let step = Step { held: None, goal, effective: was_effective, source, reason: why };
            reversed = settle_purchase(&tx, who, &s, &p, step).await?;
            (p.reward_points, p.upgrade_points) = (goal.reward, goal.upgrade);
        }
        let when = p.effective_when.unwrap_or_default();
        let mut confirmed = Vec::new();
        if !was_effective && paid_as_required(when, net, p.paid) {
            let goal = Earned { reward: p.reward_points, upgrade: p.upgrade_points };
            let source = (SourceType::PurchaseConfirmation, p.id.0.to_string());
            let why = Some(format!("paid {} of {} ({})", p.paid, net, when));
            let step = Step { held: None, goal, effective: true, source, reason: why };
            confirmed = settle_purchase(&tx, who, &s, &p, step).await?;
            p.status = PurchaseStatus::Effective;
            p.effective_at = Some(now);
        }
        p.updated_at = now;
        let p = store::update(&tx, who.tenant_id, &p).await?;
        if !reversed.is_empty() {
            let r = PointsReversedV1 {
                member_id: p.member_id.0,
                source_type: SourceType::PurchaseRefund,
                source_id: format!("{}:{}", p.id.0, i.external_id),
                purchase_id: p.id.0,
                reason: reason.clone(),
                entries: ledger::facts(&reversed),
            };
            events::emit(&tx, who, DomainEvent::PointsReversed(r)).await?;
        }
        if !confirmed.is_empty() {
            let c =
                PointsConfirmedV1 { member_id: p.member_id.0, purchase_id: p.id.0, entries: ledger::facts(&confirmed) };
            events::emit(&tx, who, DomainEvent::PointsConfirmed(c)).await?;
        }
        let audit_entry = json!({
            "kind": kind, "external_id": i.external_id, "amount": i.amount, "at": i.at,
            "paid": p.paid, "refunded": p.refunded, "status": p.status,
        });
        audit::record(&tx, who, kind.as_str(), "purchase", p.id.0, audit_entry).await?;
        let purchase = self.purchase_view(&tx, who, p).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Recorded { purchase, replayed: false })
    }

    /// Cancels the purchase: whatever its entries hold, pending or available, is reversed.
    /// Cancelling a cancelled purchase answers it as it is.
    pub async fn cancel_purchase(
        &self,
        who: &Access,
        id: PurchaseId,
        reason: Option<String>,
    ) -> Result<Recorded, AppError> {
        who.require("purchases:write")?;
        let s = settings::current(self.store().conn(), who).await?;
        let tx = self.store().begin_write().await?;
        let mut p = locked(&tx, who, id).await?;
        if p.status == PurchaseStatus::Cancelled {
            let purchase = self.purchase_view(&tx, who, p).await?;
            return Ok(Recorded { purchase, replayed: true });
        }
        let effective = p.status == PurchaseStatus::Effective;
        let source = (SourceType::PurchaseCancel, p.id.0.to_string());
        let why = Some(reason.clone().unwrap_or_else(|| "purchase cancelled".to_owned()));
        let step = Step { held: None, goal: Earned::default(), effective, source, reason: why };
        let reversed = settle_purchase(&tx, who, &s, &p, step).await?;
        let now = Utc::now();
        p.status = PurchaseStatus::Cancelled;
        (p.reward_points, p.upgrade_points) = (Points::ZERO, Points::ZERO);
        p.cancelled_at = Some(now);
        p.cancel_reason = reason.clone();
        p.updated_at = now;
        let p = store::update(&tx, who.tenant_id, &p).await?;
        if !reversed.is_empty() {
            let r = PointsReversedV1 {
                member_id: p.member_id.0,
                source_type: SourceType::PurchaseCancel,
                source_id: p.id.0.to_string(),
                purchase_id: p.id.0,
                reason: reason.clone(),
                entries: ledger::facts(&reversed),
            };
            events::emit(&tx, who, DomainEvent::PointsReversed(r)).await?;
        }
        let cancelled = PurchaseCancelledV1 { purchase_id: p.id.0, member_id: p.member_id.0, reason: reason.clone() };
        events::emit(&tx, who, DomainEvent::PurchaseCancelled(cancelled)).await?;
        audit::record(&tx, who, "cancel", "purchase", p.id.0, json!({"reason": reason})).await?;
        let purchase = self.purchase_view(&tx, who, p).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Recorded { purchase, replayed: false })
    }

    pub async fn get_purchase(&self, who: &Access, id: PurchaseId) -> Result<PurchaseView, AppError> {
        who.require("points:read")?;
        let db = self.store().conn();
        let p = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        members::find_scoped(db, who.tenant_id, &who.scope, p.member_id).await?.ok_or(NOT_FOUND)?;
        self.purchase_view(db, who, p).await
    }

    /// Purchases within the data scope, newest first.
    pub async fn list_purchases(
        &self,
        who: &Access,
        filter: PurchaseFilter,
        page: PageRequest,
    ) -> Result<Page<PurchaseView>, AppError> {
        who.require("points:read")?;
        let db = self.store().conn();
        let rows = store::page(db, who.tenant_id, &who.scope, &filter, page.after, page.fetch_size()).await?;
        let page = page.finish(rows, |p| p.id.0, |p| p);
        let mut items = Vec::with_capacity(page.items.len());
        for p in page.items {
            items.push(view(p, None));
        }
        Ok(Page { items, next_cursor: page.next_cursor })
    }
}
