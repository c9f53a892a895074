//! Per-tenant counters (`customer_changes`, later card serials). Taking values locks the
//! tenant's counter row until the transaction ends, so values are handed out in commit order:
//! a reader that has seen value N will never later find a smaller one appear.

use crate::StoreError;
use crm_domain::ids::TenantId;
use sea_orm::{ConnectionTrait, Statement};

/// Reserves `n` values and returns the last one (the reserved range is `last-n+1 ..= last`).
/// Call inside a write transaction. One statement: the first take creates the row.
pub async fn take(c: &impl ConnectionTrait, tenant: TenantId, name: &str, n: i64) -> Result<i64, StoreError> {
    let row = c
        .query_one_raw(Statement::from_sql_and_values(
            c.get_database_backend(),
            "INSERT INTO tenant_counters (tenant_id, name, value) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, name) DO UPDATE SET value = tenant_counters.value + excluded.value \
             RETURNING value",
            [tenant.0.into(), name.into(), n.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::Config(format!("counter {name} missing")))?;
    Ok(row.try_get::<i64>("", "value")?)
}
