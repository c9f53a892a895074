//! Rewards a carry-over made: listed (within the data scope), read, edited before redemption
//! (value, kind, note; each change audited), and given a redemption date in bulk (兑现), which
//! makes them `redeemed`: a reversal then leaves them alone.

use crate::batch::{ItemResult, check_size};
use crate::codes::Code;
use crate::membership::member::NOT_FOUND as MEMBER_NOT_FOUND;
use crate::paging::{Page, PageRequest};
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::FieldError;
use crm_domain::ids::{CarryOverRunId, MemberId, PointsPlanId, RewardId};
use crm_domain::loyalty::carry_over::RewardStatus;
use crm_domain::loyalty::plan::RewardKind;
use crm_domain::loyalty::{Money, Points};
use crm_store::StoreError;
pub use crm_store::loyalty::carry_over::RewardFilter;
use crm_store::loyalty::carry_over::{self as store, Reward};
use crm_store::membership::members;
use serde::Serialize;
use serde_json::json;

const NOT_FOUND: AppError = AppError::NotFound { entity: "reward" };

/// A reward.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RewardView {
    pub id: RewardId,
    pub run_id: CarryOverRunId,
    pub member_id: MemberId,
    pub plan_id: PointsPlanId,
    /// The points carried over into it.
    pub points: Points,
    pub value: Money,
    pub currency: &'static str,
    pub kind: RewardKind,
    /// `issued`, `redeemed` (given out on `redeemed_on`) or `cancelled` (by a reversal).
    pub status: RewardStatus,
    pub note: Option<String>,
    pub redeemed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Reward> for RewardView {
    fn from(r: Reward) -> Self {
        Self {
            id: r.id,
            run_id: r.run_id,
            member_id: r.member_id,
            plan_id: r.plan_id,
            points: r.points,
            value: r.value,
            currency: "CNY",
            kind: r.kind,
            status: r.status,
            note: r.note,
            redeemed_on: r.redeemed_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A change of a reward before redemption: absent fields stay; `note: Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct RewardPatch {
    pub value: Option<Money>,
    pub kind: Option<RewardKind>,
    pub note: Option<Option<String>>,
}

/// A bulk redemption's item: the reward named, and as it is now (absent when the item failed).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redeemed {
    pub reward_id: RewardId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward: Option<RewardView>,
}

/// What a bulk redemption did with one reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RedeemStatus {
    Redeemed,
    /// Redeemed on that date already.
    Unchanged,
    Failed,
}

fn audit_json(r: &Reward) -> serde_json::Value {
    json!({"value": r.value, "kind": r.kind, "note": r.note, "status": r.status, "redeemed_on": r.redeemed_on})
}

impl App {
    pub async fn list_rewards(
        &self,
        who: &Access,
        f: RewardFilter,
        page: PageRequest,
    ) -> Result<Page<RewardView>, AppError> {
        who.require("points:read")?;
        let rows =
            store::rewards_page(self.store().conn(), who.tenant_id, &who.scope, f, page.after, page.fetch_size())
                .await?;
        Ok(page.finish(rows, |r| r.id.0, RewardView::from))
    }

    pub async fn get_reward(&self, who: &Access, id: RewardId) -> Result<RewardView, AppError> {
        who.require("points:read")?;
        let db = self.store().conn();
        let r = store::find_reward(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        members::find_scoped(db, who.tenant_id, &who.scope, r.member_id).await?.ok_or(NOT_FOUND)?;
        Ok(r.into())
    }

    /// Edits an issued reward.
    pub async fn update_reward(&self, who: &Access, id: RewardId, patch: RewardPatch) -> Result<RewardView, AppError> {
        who.require("rewards:write")?;
        if let Some(v) = patch.value
            && v.is_negative()
        {
            return Err(FieldError::new("/value", "range").with("min", "0.00").into());
        }
        let tx = self.store().begin_write().await?;
        let before = store::lock_reward(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        members::find_scoped(&tx, who.tenant_id, &who.scope, before.member_id).await?.ok_or(NOT_FOUND)?;
        if before.status != RewardStatus::Issued {
            return Err(AppError::Conflict { code: Code::RewardNotEditable, field: None });
        }
        let mut r = before.clone();
        if let Some(v) = patch.value {
            r.value = v;
        }
        if let Some(k) = patch.kind {
            r.kind = k;
        }
        if let Some(n) = patch.note {
            r.note = n;
        }
        r.updated_at = Utc::now();
        let r = store::update_reward(&tx, who.tenant_id, &r).await?;
        let diff = audit::diff(&audit_json(&before), &audit_json(&r));
        audit::record(&tx, who, "update", "reward", id.0, diff).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(r.into())
    }

    /// Sets the redemption date of many rewards, each in its own transaction.
    pub async fn redeem_rewards(
        &self,
        who: &Access,
        ids: &[RewardId],
        on: NaiveDate,
    ) -> Result<Vec<ItemResult<RedeemStatus, Redeemed>>, AppError> {
        who.require("rewards:write")?;
        check_size("/reward_ids", ids.len())?;
        let mut out = Vec::with_capacity(ids.len());
        for (index, id) in ids.iter().enumerate() {
            out.push(match self.redeem_one(who, *id, on).await {
                Ok((status, r)) => ItemResult::ok(index, status, Redeemed { reward_id: *id, reward: Some(r) }),
                Err(e) => ItemResult::failed(index, e),
            });
        }
        Ok(out)
    }

    async fn redeem_one(
        &self,
        who: &Access,
        id: RewardId,
        on: NaiveDate,
    ) -> Result<(RedeemStatus, RewardView), AppError> {
        let tx = self.store().begin_write().await?;
        let before = store::lock_reward(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        members::find_scoped(&tx, who.tenant_id, &who.scope, before.member_id).await?.ok_or(MEMBER_NOT_FOUND)?;
        match before.status {
            RewardStatus::Redeemed if before.redeemed_on == Some(on) => {
                return Ok((RedeemStatus::Unchanged, before.into()));
            }
            RewardStatus::Issued => {}
            _ => return Err(AppError::Conflict { code: Code::RewardNotEditable, field: None }),
        }
        let mut r = before.clone();
        r.status = RewardStatus::Redeemed;
        r.redeemed_on = Some(on);
        r.updated_at = Utc::now();
        let r = store::update_reward(&tx, who.tenant_id, &r).await?;
        audit::record(&tx, who, "redeem", "reward", id.0, audit::diff(&audit_json(&before), &audit_json(&r))).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((RedeemStatus::Redeemed, r.into()))
    }
}
