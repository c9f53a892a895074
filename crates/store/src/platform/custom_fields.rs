//! Custom field definitions and their values in filterable form (one row per value).

use crate::StoreError;
use crate::entities::{custom_field_values as cv, custom_fields as cf};
use crm_domain::ids::TenantId;
use crm_domain::platform::custom_fields::IndexValue;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use cf::Model as CustomFieldRow;

pub async fn insert(c: &impl ConnectionTrait, row: CustomFieldRow) -> Result<CustomFieldRow, StoreError> {
    Ok(row.into_active_model().insert(c).await?)
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<CustomFieldRow>, StoreError> {
    Ok(cf::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// The definitions of an object type (all types when `None`), in display order.
pub async fn list(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    object_type: Option<&str>,
) -> Result<Vec<CustomFieldRow>, StoreError> {
    let mut q = cf::Entity::find().filter(cf::Column::TenantId.eq(tenant.0));
    if let Some(t) = object_type {
        q = q.filter(cf::Column::ObjectType.eq(t));
    }
    Ok(q.order_by_asc(cf::Column::ObjectType)
        .order_by_asc(cf::Column::Position)
        .order_by_asc(cf::Column::Key)
        .all(c)
        .await?)
}

/// Writes the changed columns of a definition.
pub async fn update(c: &impl ConnectionTrait, row: CustomFieldRow) -> Result<CustomFieldRow, StoreError> {
    let mut am = row.clone().into_active_model();
    for col in [
        cf::Column::Label,
        cf::Column::Options,
        cf::Column::Required,
        cf::Column::Permission,
        cf::Column::Position,
        cf::Column::UpdatedAt,
    ] {
        am.reset(col);
    }
    Ok(am.update(c).await?)
}

/// Deletes a definition and (by cascade) its values.
pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<(), StoreError> {
    cv::Entity::delete_many()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::FieldId.eq(id))
        .exec(c)
        .await?;
    cf::Entity::delete_by_id((tenant.0, id)).exec(c).await?;
    Ok(())
}

/// Replaces every index row of one object.
pub async fn replace_values(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    object: Uuid,
    values: &[(Uuid, Vec<IndexValue>)],
) -> Result<(), StoreError> {
    cv::Entity::delete_many()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::ObjectId.eq(object))
        .exec(c)
        .await?;
    let mut rows = Vec::new();
    for (field, vals) in values {
        for (i, v) in vals.iter().enumerate() {
            let (text, num) = match v {
                IndexValue::Text(s) => (Some(s.clone()), None),
                IndexValue::Number(n) => (None, Some(*n)),
            };
            rows.push(cv::ActiveModel {
                tenant_id: Set(tenant.0),
                object_id: Set(object),
                field_id: Set(*field),
                ord: Set(i16::try_from(i).unwrap_or(i16::MAX)),
                value_text: Set(text),
                value_num: Set(num),
            });
        }
    }
    if !rows.is_empty() {
        cv::Entity::insert_many(rows).exec_without_returning(c).await?;
    }
    Ok(())
}

/// Whether any record holds one of `values` in `field`.
pub async fn any_value_in(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    field: Uuid,
    values: &[String],
) -> Result<bool, StoreError> {
    Ok(cv::Entity::find()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::FieldId.eq(field))
        .filter(cv::Column::ValueText.is_in(values.to_vec()))
        .one(c)
        .await?
        .is_some())
}

/// A condition on one field's values.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueCondition {
    /// Any value (the field is set).
    Any,
    TextIn(Vec<String>),
    TextRange {
        min: Option<String>,
        max: Option<String>,
    },
    NumberRange {
        min: Option<f64>,
        max: Option<f64>,
    },
}

/// `SELECT object_id FROM custom_field_values WHERE tenant_id = ? AND field_id = ? AND <cond>`:
/// one range of the `(tenant_id, field_id, value, object_id)` indexes.
pub fn objects_where(tenant: TenantId, field: Uuid, cond: &ValueCondition) -> SelectStatement {
    let mut q = Query::select()
        .distinct()
        .column(cv::Column::ObjectId)
        .from(cv::Entity)
        .and_where(cv::Column::TenantId.eq(tenant.0))
        .and_where(cv::Column::FieldId.eq(field))
        .to_owned();
    let cond = match cond {
        ValueCondition::Any => Condition::all(),
        ValueCondition::TextIn(v) => Condition::all().add(cv::Column::ValueText.is_in(v.clone())),
        ValueCondition::TextRange { min, max } => {
            let mut c = Condition::all().add(cv::Column::ValueText.is_not_null());
            if let Some(m) = min {
                c = c.add(cv::Column::ValueText.gte(m.clone()));
            }
            if let Some(m) = max {
                c = c.add(cv::Column::ValueText.lte(m.clone()));
            }
            c
        }
        ValueCondition::NumberRange { min, max } => {
            let mut c = Condition::all().add(cv::Column::ValueNum.is_not_null());
            if let Some(m) = min {
                c = c.add(cv::Column::ValueNum.gte(*m));
            }
            if let Some(m) = max {
                c = c.add(cv::Column::ValueNum.lte(*m));
            }
            c
        }
    };
    q.cond_where(cond);
    q
}

/// Moves every value row of `from` to `to` for the fields `to` has no value of (merge).
pub async fn move_missing_values(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    from: Uuid,
    to: Uuid,
) -> Result<(), StoreError> {
    let have: Vec<Uuid> = cv::Entity::find()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::ObjectId.eq(to))
        .all(c)
        .await?
        .into_iter()
        .map(|r| r.field_id)
        .collect();
    let mut q = cv::Entity::update_many()
        .col_expr(cv::Column::ObjectId, sea_orm::sea_query::Expr::value(to))
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::ObjectId.eq(from));
    if !have.is_empty() {
        q = q.filter(cv::Column::FieldId.is_not_in(have));
    }
    q.exec(c).await?;
    cv::Entity::delete_many()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::ObjectId.eq(from))
        .exec(c)
        .await?;
    Ok(())
}
