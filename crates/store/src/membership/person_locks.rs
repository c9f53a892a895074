//! Locks on a person's keys (phone, id number) for the rest of a transaction, so two approvals
//! for the same person cannot both find no customer and both create one. The locks are the
//! `person` keys of [`crate::platform::key_locks`], which customer creation takes too, so an
//! approval and a customer create for the same phone exclude each other.

use crate::StoreError;
use crate::platform::key_locks;
use crm_domain::ids::TenantId;
use sea_orm::ConnectionTrait;

/// The namespace of a person's keys.
pub const PERSON: &str = "person";

/// Locks each key (sorted, so two transactions never wait on each other in a cycle).
pub async fn lock(c: &impl ConnectionTrait, tenant: TenantId, keys: &[&str]) -> Result<(), StoreError> {
    key_locks::lock(c, PERSON, tenant, keys).await
}
