//! The version 1 payloads of the loyalty events: ledger changes (credited, confirmed, reversed,
//! a balance gone negative), purchases recorded, rewards created and cancelled. Each ledger
//! payload lists the entries it wrote, so a receiver can keep its own copy of a member's points.

use crate::loyalty::ledger::{EntryStatus, SourceType};
use crate::loyalty::plan::RewardKind;
use crate::loyalty::purchase::PurchaseStatus;
use crate::loyalty::{Money, Points, PointsKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One ledger entry, as events report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntryFacts {
    pub entry_id: Uuid,
    pub kind: PointsKind,
    pub status: EntryStatus,
    pub delta: Points,
    /// The plan the entry belongs to; `null` outside any plan.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub plan_id: Option<Uuid>,
}

/// `points.credited` v1: points were credited (or debited by hand): a purchase's points on
/// record, activity, manual, enrollment, referral or birthday points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "source_type": "purchase",
    "source_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a50", "purchase_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a50",
    "reason": null, "entries": [{"entry_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a51", "kind": "reward",
    "status": "pending", "delta": 12800, "plan_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a52"}]
})))]
pub struct PointsCreditedV1 {
    pub member_id: Uuid,
    pub source_type: SourceType,
    pub source_id: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub purchase_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
    pub entries: Vec<LedgerEntryFacts>,
}

/// `points.confirmed` v1: a purchase was paid as its plan requires; its pending points are
/// matched by available ones (the entries say both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsConfirmedV1 {
    pub member_id: Uuid,
    pub purchase_id: Uuid,
    pub entries: Vec<LedgerEntryFacts>,
}

/// `points.reversed` v1: a purchase's points were reversed, whole (cancellation) or in part (a
/// refund), pending or available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsReversedV1 {
    pub member_id: Uuid,
    pub source_type: SourceType,
    pub source_id: String,
    pub purchase_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
    pub entries: Vec<LedgerEntryFacts>,
}

/// `member.points_negative` v1: a member's available reward points in a plan went below zero
/// (points already spent or carried over were reversed); the balance is never clamped, the
/// member is flagged for follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberPointsNegativeV1 {
    pub member_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub plan_id: Option<Uuid>,
    pub available: Points,
}

/// `purchase.recorded` v1: a purchase from the sales system was recorded, with the points it
/// earns (pending until paid as its plan requires).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseRecordedV1 {
    pub purchase_id: Uuid,
    pub member_id: Uuid,
    pub source: String,
    pub external_id: String,
    pub amount: Money,
    pub currency: String,
    pub occurred_at: DateTime<Utc>,
    pub status: PurchaseStatus,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub plan_id: Option<Uuid>,
    pub reward_points: Points,
    pub upgrade_points: Points,
}

/// `purchase.cancelled` v1: the purchase was cancelled; `points.reversed` says what its points
/// became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchaseCancelledV1 {
    pub purchase_id: Uuid,
    pub member_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
}

/// `reward.created` v1: a carry-over made a reward of the member's points; `entry_id` is the
/// debit of those points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardCreatedV1 {
    pub reward_id: Uuid,
    pub run_id: Uuid,
    pub member_id: Uuid,
    pub plan_id: Uuid,
    pub points: Points,
    pub value: Money,
    pub kind: RewardKind,
    pub entry_id: Uuid,
}

/// `reward.cancelled` v1: a carry-over reversal cancelled the reward; `entry_id` credits its
/// points back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardCancelledV1 {
    pub reward_id: Uuid,
    pub run_id: Uuid,
    pub member_id: Uuid,
    pub points: Points,
    pub entry_id: Uuid,
}
