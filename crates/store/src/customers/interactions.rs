//! Interactions with customers, and the time-ordered pages the timeline merges.

use crate::StoreError;
use crate::entities::interactions as ix;
use crate::stored::parse_stored;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::InteractionKind;
use crm_domain::ids::{CustomerId, InteractionId, TenantId};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// One interaction (跟进记录) with a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub tenant_id: TenantId,
    pub id: InteractionId,
    pub customer_id: CustomerId,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    /// Who recorded it: `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_contact_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<ix::Model> for Interaction {
    type Error = StoreError;

    fn try_from(m: ix::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: InteractionId(m.id),
            customer_id: CustomerId(m.customer_id),
            kind: parse_stored("interactions.kind", &m.kind, InteractionKind::parse)?,
            occurred_at: m.occurred_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            summary: m.summary,
            next_step: m.next_step,
            next_contact_on: m.next_contact_on,
            created_at: m.created_at,
        })
    }
}

fn model(r: Interaction) -> ix::Model {
    ix::Model {
        tenant_id: r.tenant_id.0,
        id: r.id.0,
        customer_id: r.customer_id.0,
        kind: r.kind.as_str().to_owned(),
        occurred_at: r.occurred_at,
        actor_type: r.actor_type,
        actor_id: r.actor_id,
        summary: r.summary,
        next_step: r.next_step,
        next_contact_on: r.next_contact_on,
        created_at: r.created_at,
    }
}

pub async fn insert(c: &impl ConnectionTrait, r: Interaction) -> Result<Interaction, StoreError> {
    let (t, id) = (r.tenant_id, r.id);
    ix::Entity::insert(model(r).into_active_model()).exec_without_returning(c).await?;
    ix::Entity::find_by_id((t.0, id.0))
        .one(c)
        .await?
        .ok_or_else(|| StoreError::Config("interaction vanished".to_owned()))?
        .try_into()
}

/// Newest first, strictly before `(before_time, before_id)` when given.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<Interaction>, StoreError> {
    let mut q =
        ix::Entity::find().filter(ix::Column::TenantId.eq(tenant.0)).filter(ix::Column::CustomerId.eq(customer.0));
    if let Some((t, id)) = before {
        q = q.filter(
            Condition::any()
                .add(ix::Column::OccurredAt.lt(t))
                .add(Condition::all().add(ix::Column::OccurredAt.eq(t)).add(ix::Column::Id.lt(id))),
        );
    }
    q.order_by_desc(ix::Column::OccurredAt)
        .order_by_desc(ix::Column::Id)
        .limit(limit)
        .all(c)
        .await?
        .into_iter()
        .map(Interaction::try_from)
        .collect()
}
