//! Merging customers: every record linked to the duplicate moves to the surviving customer in the
//! caller's transaction, and the merge is recorded with the ids of what moved.

use crate::StoreError;
use crate::entities::{
    contacts as co, customer_grade_history as gh, customer_merges as cm, customer_tags as ct, interactions as ix,
    segment_members as sm,
};
use chrono::{DateTime, Utc};
use crm_domain::ids::{CustomerId, TenantId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// The ids of what moved from one customer to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    pub contacts: Vec<Uuid>,
    pub interactions: Vec<Uuid>,
    pub grade_history: Vec<Uuid>,
    /// Tags the duplicate carried (the survivor carries them now, if it did not already).
    pub tags: Vec<Uuid>,
    /// Static segments the duplicate was in.
    pub segments: Vec<Uuid>,
}

/// Re-points the rows of a child table (`$m`: an entity module with `id` and `customer_id`) from
/// one customer to another, setting any extra columns given; evaluates to the ids moved.
macro_rules! repoint {
    ($c:expr, $m:ident, $t:expr, $from:expr, $to:expr $(, $col:ident = $val:expr)*) => {{
        let ids: Vec<Uuid> = $m::Entity::find()
            .filter($m::Column::TenantId.eq($t))
            .filter($m::Column::CustomerId.eq($from))
            .order_by_asc($m::Column::Id)
            .all($c)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        $m::Entity::update_many()
            .col_expr($m::Column::CustomerId, Expr::value($to))
            $(.col_expr($m::Column::$col, Expr::value($val)))*
            .filter($m::Column::TenantId.eq($t))
            .filter($m::Column::CustomerId.eq($from))
            .exec($c)
            .await?;
        ids
    }};
}

/// Moves contacts, interactions, grade history, tags and static segment memberships of `from` to `to`.
pub async fn move_linked(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    from: CustomerId,
    to: CustomerId,
) -> Result<Moved, StoreError> {
    let (t, from, to) = (tenant.0, from.0, to.0);
    // The survivor keeps its own primary contact.
    let contacts = repoint!(c, co, t, from, to, IsPrimary = false);
    let interactions = repoint!(c, ix, t, from, to);
    let grade_history = repoint!(c, gh, t, from, to);

    let tag_links =
        ct::Entity::find().filter(ct::Column::TenantId.eq(t)).filter(ct::Column::CustomerId.eq(from)).all(c).await?;
    let tags: Vec<Uuid> = tag_links.iter().map(|l| l.tag_id).collect();
    if !tag_links.is_empty() {
        let rows = tag_links.into_iter().map(|l| ct::ActiveModel {
            tenant_id: Set(t),
            customer_id: Set(to),
            tag_id: Set(l.tag_id),
            created_at: Set(l.created_at),
        });
        ct::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([ct::Column::TenantId, ct::Column::CustomerId, ct::Column::TagId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(c)
            .await?;
        ct::Entity::delete_many()
            .filter(ct::Column::TenantId.eq(t))
            .filter(ct::Column::CustomerId.eq(from))
            .exec(c)
            .await?;
    }

    let memberships =
        sm::Entity::find().filter(sm::Column::TenantId.eq(t)).filter(sm::Column::CustomerId.eq(from)).all(c).await?;
    let segments: Vec<Uuid> = memberships.iter().map(|m| m.segment_id).collect();
    if !memberships.is_empty() {
        let rows = memberships.into_iter().map(|m| sm::ActiveModel {
            tenant_id: Set(t),
            segment_id: Set(m.segment_id),
            customer_id: Set(to),
            added_at: Set(m.added_at),
            added_by: Set(m.added_by),
        });
        super::segments::insert_members(c, rows).await?;
        sm::Entity::delete_many()
            .filter(sm::Column::TenantId.eq(t))
            .filter(sm::Column::CustomerId.eq(from))
            .exec(c)
            .await?;
    }
    Ok(Moved { contacts, interactions, grade_history, tags, segments })
}

/// One recorded merge.
#[derive(Debug, Clone)]
pub struct MergeRecord {
    pub tenant: TenantId,
    pub target: CustomerId,
    pub merged: CustomerId,
    pub at: DateTime<Utc>,
    pub actor_type: &'static str,
    pub actor_id: Option<Uuid>,
    /// JSON of what moved.
    pub moved: String,
}

pub async fn record(c: &impl ConnectionTrait, m: MergeRecord) -> Result<(), StoreError> {
    cm::Entity::insert(cm::ActiveModel {
        tenant_id: Set(m.tenant.0),
        id: Set(Uuid::now_v7()),
        target_id: Set(m.target.0),
        merged_id: Set(m.merged.0),
        merged_at: Set(m.at),
        actor_type: Set(m.actor_type.to_owned()),
        actor_id: Set(m.actor_id),
        moved: Set(m.moved),
    })
    .exec_without_returning(c)
    .await?;
    Ok(())
}
