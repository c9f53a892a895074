//! A member's identities in other systems, unique per tenant, source and external id.

use crate::StoreError;
use crate::entities::member_identities as mi;
use crm_domain::ids::TenantId;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

pub use mi::Model as IdentityRow;

/// Links an identity; a unique conflict means another member of the tenant holds it.
pub async fn insert(c: &impl ConnectionTrait, row: IdentityRow) -> Result<(), StoreError> {
    mi::Entity::insert(row.into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_id: &str,
) -> Result<Option<IdentityRow>, StoreError> {
    Ok(mi::Entity::find_by_id((tenant.0, source.to_owned(), external_id.to_owned())).one(c).await?)
}

/// The identities of these members, by member.
pub async fn of_members(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[Uuid],
) -> Result<Vec<IdentityRow>, StoreError> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mi::Entity::find()
        .filter(mi::Column::TenantId.eq(tenant.0))
        .filter(mi::Column::MemberId.is_in(members.to_vec()))
        .order_by_asc(mi::Column::Source)
        .order_by_asc(mi::Column::ExternalId)
        .all(c)
        .await?)
}

/// Unlinks an identity of `member`; false when it was not the member's.
pub async fn delete(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: Uuid,
    source: &str,
    external_id: &str,
) -> Result<bool, StoreError> {
    let res = mi::Entity::delete_many()
        .filter(mi::Column::TenantId.eq(tenant.0))
        .filter(mi::Column::Source.eq(source))
        .filter(mi::Column::ExternalId.eq(external_id))
        .filter(mi::Column::MemberId.eq(member))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}
