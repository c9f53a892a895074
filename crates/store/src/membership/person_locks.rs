//! Locks on a person's keys (phone, id number) for the rest of a transaction, so two approvals
//! for the same person cannot both find no customer and both create one. PostgreSQL takes
//! transaction-scoped advisory locks; SQLite needs none, its writers are serialized already.

use crate::StoreError;
use crm_domain::ids::TenantId;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Locks each key (sorted, so two transactions never wait on each other in a cycle).
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, keys: &[&str]) -> Result<(), StoreError> {
    if c.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<String> = keys.iter().map(|k| format!("person:{}:{k}", tenant.0)).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        c.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [k.into()],
        ))
        .await?;
    }
    Ok(())
}
