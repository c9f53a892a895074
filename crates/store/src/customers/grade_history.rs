//! Lifecycle-grade history.

use crate::StoreError;
use crate::entities::customer_grade_history as gh;
use crate::stored::parse_stored;
use chrono::{DateTime, Utc};
use crm_domain::customers::LifecycleGrade;
use crm_domain::ids::{CustomerId, TenantId};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// One change of a customer's lifecycle grade (`from` is `None` for its first grade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeChange {
    pub id: Uuid,
    pub customer_id: CustomerId,
    pub from: Option<LifecycleGrade>,
    pub to: LifecycleGrade,
    pub changed_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
}

impl TryFrom<gh::Model> for GradeChange {
    type Error = StoreError;

    fn try_from(m: gh::Model) -> Result<Self, StoreError> {
        let grade = |g: &str| parse_stored("customer_grade_history.grade", g, LifecycleGrade::parse);
        Ok(Self {
            id: m.id,
            customer_id: CustomerId(m.customer_id),
            from: m.from_grade.as_deref().map(grade).transpose()?,
            to: grade(&m.to_grade)?,
            changed_at: m.changed_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
        })
    }
}

fn all(ms: Vec<gh::Model>) -> Result<Vec<GradeChange>, StoreError> {
    ms.into_iter().map(GradeChange::try_from).collect()
}

pub async fn append(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
    from: Option<LifecycleGrade>,
    to: LifecycleGrade,
    actor_type: &str,
    actor_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let row = gh::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(Uuid::now_v7()),
        customer_id: Set(customer.0),
        from_grade: Set(from.map(|g| g.as_str().to_owned())),
        to_grade: Set(to.as_str().to_owned()),
        changed_at: Set(Utc::now()),
        actor_type: Set(actor_type.to_owned()),
        actor_id: Set(actor_id),
    };
    gh::Entity::insert(row).exec_without_returning(c).await?;
    Ok(())
}

/// The first grade of many new customers, with multi-row inserts: `(customer, grade)` pairs.
pub async fn append_first(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    first: &[(CustomerId, LifecycleGrade)],
    actor_type: &str,
    actor_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    for chunk in first.chunks(crate::MULTI_ROW_CHUNK) {
        let rows = chunk.iter().map(|(customer, to)| gh::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(Uuid::now_v7()),
            customer_id: Set(customer.0),
            from_grade: Set(None),
            to_grade: Set(to.as_str().to_owned()),
            changed_at: Set(now),
            actor_type: Set(actor_type.to_owned()),
            actor_id: Set(actor_id),
        });
        gh::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Oldest first.
pub async fn of_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
) -> Result<Vec<GradeChange>, StoreError> {
    all(gh::Entity::find()
        .filter(gh::Column::TenantId.eq(tenant.0))
        .filter(gh::Column::CustomerId.eq(customer.0))
        .order_by_asc(gh::Column::Id)
        .all(c)
        .await?)
}

/// Newest first, strictly before `(before_time, before_id)` when given (for the timeline).
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    customer: CustomerId,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<GradeChange>, StoreError> {
    use sea_orm::{Condition, QuerySelect};
    let mut q =
        gh::Entity::find().filter(gh::Column::TenantId.eq(tenant.0)).filter(gh::Column::CustomerId.eq(customer.0));
    if let Some((t, id)) = before {
        q = q.filter(
            Condition::any()
                .add(gh::Column::ChangedAt.lt(t))
                .add(Condition::all().add(gh::Column::ChangedAt.eq(t)).add(gh::Column::Id.lt(id))),
        );
    }
    all(q.order_by_desc(gh::Column::ChangedAt).order_by_desc(gh::Column::Id).limit(limit).all(c).await?)
}
