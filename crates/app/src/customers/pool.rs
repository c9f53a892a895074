//! 公海 (the public pool): customers without an owner. Anyone holding `customers:pool` sees the
//! pool whatever their data scope and may claim from it (up to the tenant's claim limit); an owner
//! (or a manager whose scope covers the customer) releases a customer into it; and a scheduled
//! job returns owned customers without an interaction for the tenant's number of days. Claims
//! and returns are conditional updates, so racing claims and several instances running the job
//! never give a customer to two owners or return it twice; a claim locks the customer (and, with a
//! claim limit, the claiming user's key) before it checks, and the job locks its batch up front.

use super::filters::{ListFilters, store_filter};
use super::records::{view, views, write_change};
use super::view::CustomerView;
use crate::codes::Code;
use crate::paging::{Page, PageRequest};
use crate::platform::settings::{self, POOL_RETURN_DAYS};
use crate::{Access, App, AppError};
use chrono::{DateTime, Duration, Utc};
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{CustomerId, TenantId};
use crm_store::ScopeFilter;
use crm_store::customers::criteria::{Criterion, SetOp};
use crm_store::customers::records as customers;
use crm_store::platform::{key_locks, tenant_settings};

const NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };
/// The key-lock namespace of a user's claims from the pool.
const CLAIMS: &str = "pool_claims";
/// Customers returned per transaction by the job.
const RETURN_BATCH: u64 = 200;

impl App {
    /// The public pool: unowned live customers, filtered like the customer list.
    pub async fn list_pool(
        &self,
        who: &Access,
        filters: ListFilters,
        page: PageRequest,
    ) -> Result<Page<CustomerView>, AppError> {
        who.require("customers:pool")?;
        let db = self.store().conn();
        let mut f = store_filter(db, who, ListFilters { deleted: false, in_pool: None, ..filters }).await?;
        f.criteria.push(Criterion::Owner { op: SetOp::IsNotSet, ids: Vec::new() });
        let after = page.after.map(CustomerId);
        let rows = customers::page(db, who.tenant_id, &ScopeFilter::All, &f, after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id.0, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    /// Takes a customer from the pool: the caller becomes its owner.
    pub async fn claim_customer(&self, who: &Access, id: CustomerId) -> Result<CustomerView, AppError> {
        who.require("customers:pool")?;
        let user = who.user_id().ok_or(AppError::Forbidden { code: Code::AuthUserRequired, permission: None })?;
        let tx = self.store().begin_write().await?;
        let limit = settings::current(&tx, who).await?.pool_claim_limit;
        if limit.is_some() {
            // One user's claims run one at a time, so two claims cannot both count one below the limit.
            key_locks::lock(&tx, CLAIMS, who.tenant_id, &[&user.to_string()]).await?;
        }
        let before =
            customers::lock(&tx, who.tenant_id, id).await?.filter(|r| r.deleted_at.is_none()).ok_or(NOT_FOUND)?;
        if before.owner_id.is_some() {
            // Outside the pool, a customer is only as visible as the caller's scope allows.
            if customers::find_scoped(&tx, who.tenant_id, &who.scope, id).await?.is_none() {
                return Err(NOT_FOUND);
            }
            return Err(AppError::Conflict { code: Code::CustomerAlreadyOwned, field: None });
        }
        if let Some(limit) = limit
            && customers::count_owned(&tx, who.tenant_id, user).await? >= u64::from(limit)
        {
            return Err(AppError::Conflict { code: Code::CustomerClaimLimitReached, field: None });
        }
        let now = Utc::now();
        if !customers::claim_if_unowned(&tx, who.tenant_id, id, user, now).await? {
            return Err(AppError::Conflict { code: Code::CustomerAlreadyOwned, field: None });
        }
        let mut after = before.clone();
        after.owner_id = Some(user);
        after.owned_since = Some(now);
        let (row, _) = write_change(&tx, who, before, after, "claim").await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(v)
    }

    /// Puts an owned customer (within the caller's scope) into the pool, with an optional reason.
    pub async fn release_customer(&self, who: &Access, id: CustomerId, reason: Option<&str>) -> Result<(), AppError> {
        who.require("customers:write")?;
        let reason = parse_text("/reason", reason, 500)?;
        let tx = self.store().begin_write().await?;
        let before = customers::lock_scoped(&tx, who.tenant_id, &who.scope, id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(NOT_FOUND)?;
        if before.owner_id.is_none() {
            return Err(AppError::Conflict { code: Code::CustomerInPool, field: None });
        }
        let mut after = before.clone();
        after.owner_id = None;
        after.owned_since = None;
        let (row, _) = write_change(&tx, who, before, after, "release").await?;
        if let Some(r) = reason {
            crate::platform::audit::record(
                &tx,
                who,
                "release_reason",
                "customer",
                row.id.0,
                serde_json::json!({"reason": r}),
            )
            .await?;
        }
        tx.commit().await.map_err(crm_store::StoreError::from)?;
        Ok(())
    }

    /// The scheduled job: in every tenant with `pool_return_days` set, returns owned customers
    /// idle for that many days to the pool (audited as the system). Returns how many moved.
    pub async fn return_idle_customers(&self, now: DateTime<Utc>) -> Result<u64, AppError> {
        let mut moved = 0;
        for (tenant, _) in tenant_settings::tenants_with(self.store().conn(), POOL_RETURN_DAYS).await? {
            let Some(days) = settings::load(self.store().conn(), tenant).await?.pool_return_days else { continue };
            let cutoff = now - Duration::days(i64::from(days));
            moved += self.return_idle_in(tenant, cutoff).await?;
        }
        Ok(moved)
    }

    async fn return_idle_in(&self, tenant: TenantId, cutoff: DateTime<Utc>) -> Result<u64, AppError> {
        let system = Access::system(tenant);
        let mut moved = 0;
        loop {
            let tx = self.store().begin_write().await?;
            let batch = customers::idle_owned(&tx, tenant, cutoff, RETURN_BATCH).await?;
            let n = batch.len();
            for before in batch {
                let Some(owner) = before.owner_id else { continue };
                // Another instance, or a fresh interaction, may have got there first.
                if !customers::release_if_idle(&tx, tenant, before.id, owner, cutoff).await? {
                    continue;
                }
                let mut after = before.clone();
                after.owner_id = None;
                after.owned_since = None;
                write_change(&tx, &system, before, after, "return_to_pool").await?;
                moved += 1;
            }
            tx.commit().await.map_err(crm_store::StoreError::from)?;
            if (n as u64) < RETURN_BATCH {
                return Ok(moved);
            }
        }
    }
}
