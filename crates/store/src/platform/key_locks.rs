//! Locks on natural keys (a person's phone, email or id number; a user's claims from the pool) for
//! the rest of a transaction, so that "check that nothing holds this key, then write" is one step:
//! two transactions deciding about the same key run one after the other. PostgreSQL takes
//! transaction-scoped advisory locks named `{namespace}:{tenant}:{key}`; SQLite needs none, its
//! writers are serialized already. Take key locks before any row lock (see `ARCHITECTURE.md`).

use crate::StoreError;
use crm_domain::ids::TenantId;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Locks each key of `namespace` (sorted, so two transactions never wait on each other in a cycle).
pub async fn lock(
    c: &impl ConnectionTrait,
    namespace: &str,
    tenant: TenantId,
    keys: &[&str],
) -> Result<(), StoreError> {
    if c.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<String> = keys.iter().map(|k| format!("{namespace}:{}:{k}", tenant.0)).collect();
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
