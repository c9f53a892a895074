//! The ledger check (`crm ledger check`, `POST /api/v1/ledger/check`): every cached balance is
//! compared with the sum of its entries, computed from the entries alone, in one read
//! transaction so both sides are one snapshot; any difference is reported, never repaired.

use crate::{Access, App, AppError};
use crm_domain::ids::{MemberId, PointsPlanId, TenantId};
use crm_domain::loyalty::{Points, PointsKind};
use crm_store::loyalty::ledger::{self as store, Balance};
use crm_store::platform::tenants;
use crm_store::{StoreError, TransactionTrait};
use serde::Serialize;
use std::collections::BTreeMap;

/// A balance that is not the sum of its entries.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceDifference {
    pub member_id: MemberId,
    pub plan_id: Option<PointsPlanId>,
    pub kind: PointsKind,
    /// The cached balance (`null`: no balance row although entries exist).
    pub cached_available: Option<Points>,
    pub cached_pending: Option<Points>,
    /// The sums of the entries.
    pub entries_available: Points,
    pub entries_pending: Points,
}

/// What a check found in one tenant.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerCheck {
    pub tenant_id: TenantId,
    /// Balance rows and entry groups compared.
    pub balances_checked: usize,
    /// Empty when every balance equals its entries.
    pub differences: Vec<BalanceDifference>,
}

type Key = (MemberId, Option<PointsPlanId>, PointsKind);

fn compare(tenant: TenantId, cached: Vec<Balance>, sums: Vec<Balance>) -> LedgerCheck {
    let key = |b: &Balance| -> Key { (b.member_id, b.plan_id, b.kind) };
    let mut by_key: BTreeMap<Key, (Option<Balance>, Option<Balance>)> = BTreeMap::new();
    for b in cached {
        by_key.entry(key(&b)).or_default().0 = Some(b);
    }
    for b in sums {
        by_key.entry(key(&b)).or_default().1 = Some(b);
    }
    let balances_checked = by_key.len();
    let differences = by_key
        .into_iter()
        .filter_map(|((member_id, plan_id, kind), (c, s))| {
            let (ea, ep) = s.map_or((Points::ZERO, Points::ZERO), |s| (s.available, s.pending));
            let (ca, cp) = c.map_or((Points::ZERO, Points::ZERO), |c| (c.available, c.pending));
            (ea != ca || ep != cp).then(|| BalanceDifference {
                member_id,
                plan_id,
                kind,
                cached_available: c.map(|c| c.available),
                cached_pending: c.map(|c| c.pending),
                entries_available: ea,
                entries_pending: ep,
            })
        })
        .collect();
    LedgerCheck { tenant_id: tenant, balances_checked, differences }
}

impl App {
    /// Checks the caller's tenant.
    pub async fn check_ledger(&self, who: &Access) -> Result<LedgerCheck, AppError> {
        who.require("ledger:check")?;
        self.check_tenant_ledger(who.tenant_id).await
    }

    async fn check_tenant_ledger(&self, tenant: TenantId) -> Result<LedgerCheck, AppError> {
        let tx = self.store().conn().begin().await.map_err(StoreError::from)?;
        let cached = store::all_balances(&tx, tenant).await?;
        let sums = store::entry_sums(&tx, tenant).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(compare(tenant, cached, sums))
    }

    /// Checks every tenant (the `crm ledger check` command).
    pub async fn check_all_ledgers(&self) -> Result<Vec<LedgerCheck>, AppError> {
        let mut out = Vec::new();
        for t in tenants::list(self.store().conn()).await? {
            out.push(self.check_tenant_ledger(t.id).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(member: MemberId, available: i64, pending: i64) -> Balance {
        Balance {
            member_id: member,
            plan_id: None,
            kind: PointsKind::Reward,
            available: Points::new(available),
            pending: Points::new(pending),
        }
    }

    #[test]
    fn a_balance_without_entries_or_entries_without_a_balance_are_differences() {
        let (m1, m2, m3) = (MemberId::new(), MemberId::new(), MemberId::new());
        let r = compare(TenantId::new(), vec![b(m1, 5, 0), b(m2, 1, 0)], vec![b(m1, 5, 0), b(m3, 2, 0)]);
        assert_eq!(r.balances_checked, 3);
        let found: Vec<_> =
            r.differences.iter().map(|d| (d.member_id, d.cached_available, d.entries_available)).collect();
        assert_eq!(found.len(), 2);
        assert!(found.contains(&(m2, Some(Points::new(1)), Points::ZERO)));
        assert!(found.contains(&(m3, None, Points::new(2))));
    }
}
