//! Custom field definitions and their values in filterable form (one row per value).

use crate::StoreError;
use crate::entities::{custom_field_values as cv, custom_fields as cf};
use crate::platform::{parse_stored, strings_stored};
use chrono::{DateTime, Utc};
use crm_domain::ids::{CustomFieldId, TenantId};
use crm_domain::platform::custom_fields::{FieldType, IndexValue, ObjectType};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// A custom field definition as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldRecord {
    pub tenant_id: TenantId,
    pub id: CustomFieldId,
    pub object_type: ObjectType,
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// The allowed values of select types, in display order.
    pub options: Vec<String>,
    pub required: bool,
    /// The permission needed to see and write the field; everyone with access to the object when `None`.
    pub permission: Option<String>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<cf::Model> for CustomFieldRecord {
    type Error = StoreError;

    fn try_from(m: cf::Model) -> Result<Self, StoreError> {
        Ok(Self {
            tenant_id: TenantId(m.tenant_id),
            id: CustomFieldId(m.id),
            object_type: parse_stored("custom_fields.object_type", &m.object_type, ObjectType::parse)?,
            field_type: parse_stored("custom_fields.field_type", &m.field_type, FieldType::parse)?,
            options: strings_stored("custom_fields.options", &m.options)?,
            key: m.key,
            label: m.label,
            required: m.required,
            permission: m.permission,
            position: m.position,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A new definition.
pub struct NewCustomField<'a> {
    pub tenant_id: TenantId,
    pub id: CustomFieldId,
    pub object_type: ObjectType,
    pub key: &'a str,
    pub label: &'a str,
    pub field_type: FieldType,
    pub options: &'a [String],
    pub required: bool,
    pub permission: Option<&'a str>,
    pub position: i32,
}

/// What a change of a definition may set (its key and types never change); each is written.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldChanges<'a> {
    pub label: &'a str,
    pub options: &'a [String],
    pub required: bool,
    pub permission: Option<&'a str>,
    pub position: i32,
}

fn options_json(o: &[String]) -> String {
    serde_json::to_string(o).unwrap_or_else(|_| "[]".to_owned())
}

/// Inserts a definition; a taken key is a conflict on [`crate::UniqueKey::CustomFieldKey`].
pub async fn insert(c: &impl ConnectionTrait, f: NewCustomField<'_>) -> Result<CustomFieldRecord, StoreError> {
    let now = Utc::now();
    let row = cf::ActiveModel {
        tenant_id: Set(f.tenant_id.0),
        id: Set(f.id.0),
        object_type: Set(f.object_type.as_str().to_owned()),
        key: Set(f.key.to_owned()),
        label: Set(f.label.to_owned()),
        field_type: Set(f.field_type.as_str().to_owned()),
        options: Set(options_json(f.options)),
        required: Set(f.required),
        permission: Set(f.permission.map(str::to_owned)),
        position: Set(f.position),
        created_at: Set(now),
        updated_at: Set(now),
    };
    cf::Entity::insert(row).exec_without_returning(c).await?;
    find(c, f.tenant_id, f.id).await?.ok_or_else(|| StoreError::Config("custom field vanished after insert".to_owned()))
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: CustomFieldId,
) -> Result<Option<CustomFieldRecord>, StoreError> {
    cf::Entity::find_by_id((tenant.0, id.0)).one(c).await?.map(TryInto::try_into).transpose()
}

/// The definitions of an object type (all types when `None`), in display order.
pub async fn list(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    object_type: Option<ObjectType>,
) -> Result<Vec<CustomFieldRecord>, StoreError> {
    let mut q = cf::Entity::find().filter(cf::Column::TenantId.eq(tenant.0));
    if let Some(t) = object_type {
        q = q.filter(cf::Column::ObjectType.eq(t.as_str()));
    }
    q.order_by_asc(cf::Column::ObjectType)
        .order_by_asc(cf::Column::Position)
        .order_by_asc(cf::Column::Key)
        .all(c)
        .await?
        .into_iter()
        .map(CustomFieldRecord::try_from)
        .collect()
}

/// Writes a change of the definition `row` names and returns it as it is now.
pub async fn update(
    c: &impl ConnectionTrait,
    row: &CustomFieldRecord,
    ch: CustomFieldChanges<'_>,
) -> Result<CustomFieldRecord, StoreError> {
    let am = cf::ActiveModel {
        tenant_id: Unchanged(row.tenant_id.0),
        id: Unchanged(row.id.0),
        label: Set(ch.label.to_owned()),
        options: Set(options_json(ch.options)),
        required: Set(ch.required),
        permission: Set(ch.permission.map(str::to_owned)),
        position: Set(ch.position),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    am.update(c).await?.try_into()
}

/// Deletes a definition and (by cascade) its values.
pub async fn delete(c: &impl ConnectionTrait, tenant: TenantId, id: CustomFieldId) -> Result<(), StoreError> {
    cv::Entity::delete_many()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::FieldId.eq(id.0))
        .exec(c)
        .await?;
    cf::Entity::delete_by_id((tenant.0, id.0)).exec(c).await?;
    Ok(())
}

/// Replaces every index row of one object.
pub async fn replace_values(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    object: Uuid,
    values: &[(CustomFieldId, Vec<IndexValue>)],
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
                field_id: Set(field.0),
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
    field: CustomFieldId,
    values: &[String],
) -> Result<bool, StoreError> {
    Ok(cv::Entity::find()
        .filter(cv::Column::TenantId.eq(tenant.0))
        .filter(cv::Column::FieldId.eq(field.0))
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
/// one range of the `(tenant_id, field_id, value, object_id)` indexes. `field` is the
/// definition's id as the customers' criteria carry it.
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
