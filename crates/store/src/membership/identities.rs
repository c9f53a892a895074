//! A member's identities in other systems, unique per tenant, source and external id.

use crate::StoreError;
use crate::entities::member_identities as mi;
use crate::stored::Insertion;
use chrono::{DateTime, Utc};
use crm_domain::ids::{MemberId, TenantId};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TryInsertResult};

/// An id of a member in another system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub source: String,
    pub external_id: String,
    pub member_id: MemberId,
    pub linked_at: DateTime<Utc>,
}

impl From<mi::Model> for Identity {
    fn from(m: mi::Model) -> Self {
        Self { source: m.source, external_id: m.external_id, member_id: MemberId(m.member_id), linked_at: m.linked_at }
    }
}

/// Links an identity; [`Insertion::AlreadyThere`] when a member of the tenant (this one or
/// another) holds it already, and nothing is written.
pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    identity: Identity,
) -> Result<Insertion<()>, StoreError> {
    let am = mi::ActiveModel {
        tenant_id: Set(tenant.0),
        source: Set(identity.source),
        external_id: Set(identity.external_id),
        member_id: Set(identity.member_id.0),
        linked_at: Set(identity.linked_at),
    };
    let res = mi::Entity::insert(am)
        .on_conflict_do_nothing_on([mi::Column::TenantId, mi::Column::Source, mi::Column::ExternalId])
        .exec_without_returning(c)
        .await?;
    Ok(match res {
        TryInsertResult::Inserted(1) => Insertion::Inserted(()),
        _ => Insertion::AlreadyThere,
    })
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_id: &str,
) -> Result<Option<Identity>, StoreError> {
    Ok(mi::Entity::find_by_id((tenant.0, source.to_owned(), external_id.to_owned())).one(c).await?.map(Into::into))
}

/// The identities of these members.
pub async fn of_members(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[MemberId],
) -> Result<Vec<Identity>, StoreError> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let rows = mi::Entity::find()
        .filter(mi::Column::TenantId.eq(tenant.0))
        .filter(mi::Column::MemberId.is_in(members.iter().map(|m| m.0)))
        .order_by_asc(mi::Column::Source)
        .order_by_asc(mi::Column::ExternalId)
        .all(c)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Unlinks an identity of `member`; false when it was not the member's.
pub async fn delete(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    source: &str,
    external_id: &str,
) -> Result<bool, StoreError> {
    let res = mi::Entity::delete_many()
        .filter(mi::Column::TenantId.eq(tenant.0))
        .filter(mi::Column::Source.eq(source))
        .filter(mi::Column::ExternalId.eq(external_id))
        .filter(mi::Column::MemberId.eq(member.0))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}
