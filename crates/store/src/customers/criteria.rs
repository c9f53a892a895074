//! Conditions on customers as SQL: the one vocabulary that list filters and segment rules compile
//! to. Every criterion is an indexed column comparison or an `id IN (subquery)` over an index.

use crate::entities::{customer_tags as ct, customers as cu, segment_members as sm};
use crate::platform::custom_fields::{ValueCondition, objects_where};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::ids::TenantId;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

/// The vocabulary of conditions is the domain's (segment rules are parsed into it).
pub use crm_domain::customers::segments::{DateField as DateColumn, SetOp, TagOp, TextField as TextColumn};

fn text_column(f: TextColumn) -> cu::Column {
    match f {
        TextColumn::Kind => cu::Column::Kind,
        TextColumn::Grade => cu::Column::Grade,
        TextColumn::Level => cu::Column::Level,
        TextColumn::Source => cu::Column::Source,
        TextColumn::Industry => cu::Column::Industry,
        TextColumn::Gender => cu::Column::Gender,
        TextColumn::Province => cu::Column::Province,
        TextColumn::City => cu::Column::City,
        TextColumn::District => cu::Column::District,
        TextColumn::Company => cu::Column::Company,
    }
}

/// One condition on a customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Criterion {
    Text {
        column: TextColumn,
        op: SetOp,
        values: Vec<String>,
    },
    Owner {
        op: SetOp,
        ids: Vec<Uuid>,
    },
    Tags {
        op: TagOp,
        ids: Vec<Uuid>,
    },
    /// Inclusive range; `CreatedAt` compares the instant with the start of `min` and the end of `max` (UTC).
    Date {
        column: DateColumn,
        min: Option<NaiveDate>,
        max: Option<NaiveDate>,
    },
    /// No interaction since `cutoff` (never contacted counts).
    InactiveSince(DateTime<Utc>),
    /// An interaction at or after `cutoff`.
    ActiveSince(DateTime<Utc>),
    /// A custom field value matches (`negate`: the customer has no matching value).
    Custom {
        field: Uuid,
        cond: ValueCondition,
        negate: bool,
    },
    /// A member of a static segment.
    InSegment(Uuid),
}

/// Customers carrying any of `tags`.
fn tagged_any(tenant: TenantId, tags: &[Uuid]) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(ct::Column::CustomerId)
        .from(ct::Entity)
        .and_where(ct::Column::TenantId.eq(tenant.0))
        .and_where(ct::Column::TagId.is_in(tags.to_vec()))
        .to_owned()
}

fn tagged(tenant: TenantId, tag: Uuid) -> sea_orm::sea_query::SelectStatement {
    super::tags::customers_with(tenant, crm_domain::ids::TagId(tag))
}

/// The SQL condition of one criterion.
pub fn condition(tenant: TenantId, c: &Criterion) -> Condition {
    match c {
        Criterion::Text { column, op, values } => set_condition(text_column(*column), *op, values.clone()),
        Criterion::Owner { op, ids } => set_condition(cu::Column::OwnerId, *op, ids.clone()),
        Criterion::Tags { op, ids } => match op {
            TagOp::Any => Condition::all().add(cu::Column::Id.in_subquery(tagged_any(tenant, ids))),
            TagOp::All => {
                ids.iter().fold(Condition::all(), |acc, t| acc.add(cu::Column::Id.in_subquery(tagged(tenant, *t))))
            }
            TagOp::None => Condition::all().add(cu::Column::Id.not_in_subquery(tagged_any(tenant, ids))),
        },
        Criterion::Date { column, min, max } => {
            let mut cond = Condition::all();
            match column {
                DateColumn::Birthday => {
                    cond = cond.add(cu::Column::Birthday.is_not_null());
                    if let Some(m) = min {
                        cond = cond.add(cu::Column::Birthday.gte(*m));
                    }
                    if let Some(m) = max {
                        cond = cond.add(cu::Column::Birthday.lte(*m));
                    }
                }
                DateColumn::CreatedAt => {
                    if let Some(m) = min {
                        cond = cond.add(cu::Column::CreatedAt.gte(m.and_time(chrono::NaiveTime::MIN).and_utc()));
                    }
                    if let Some(m) = max.and_then(|m| m.succ_opt()) {
                        cond = cond.add(cu::Column::CreatedAt.lt(m.and_time(chrono::NaiveTime::MIN).and_utc()));
                    }
                }
            }
            cond
        }
        Criterion::InactiveSince(cutoff) => {
            Condition::any().add(cu::Column::LastInteractionAt.is_null()).add(cu::Column::LastInteractionAt.lt(*cutoff))
        }
        Criterion::ActiveSince(cutoff) => Condition::all().add(cu::Column::LastInteractionAt.gte(*cutoff)),
        Criterion::Custom { field, cond, negate } => {
            let sub = objects_where(tenant, *field, cond);
            if *negate {
                Condition::all().add(cu::Column::Id.not_in_subquery(sub))
            } else {
                Condition::all().add(cu::Column::Id.in_subquery(sub))
            }
        }
        Criterion::InSegment(segment) => Condition::all().add(
            cu::Column::Id.in_subquery(
                Query::select()
                    .column(sm::Column::CustomerId)
                    .from(sm::Entity)
                    .and_where(sm::Column::TenantId.eq(tenant.0))
                    .and_where(sm::Column::SegmentId.eq(*segment))
                    .to_owned(),
            ),
        ),
    }
}

fn set_condition<V>(col: cu::Column, op: SetOp, values: Vec<V>) -> Condition
where
    V: Into<sea_orm::Value>,
{
    match op {
        SetOp::In => Condition::all().add(col.is_in(values)),
        SetOp::NotIn => Condition::any().add(col.is_null()).add(col.is_not_in(values)),
        SetOp::IsSet => Condition::all().add(col.is_not_null()),
        SetOp::IsNotSet => Condition::all().add(col.is_null()),
    }
}

/// All criteria (`all = true`) or any of them, as one condition. An empty `any` matches nothing.
pub fn combine(tenant: TenantId, all: bool, criteria: &[Criterion]) -> Condition {
    if all {
        criteria.iter().fold(Condition::all(), |acc, c| acc.add(condition(tenant, c)))
    } else if criteria.is_empty() {
        Condition::all().add(Expr::cust("1 = 0"))
    } else {
        criteria.iter().fold(Condition::any(), |acc, c| acc.add(condition(tenant, c)))
    }
}
