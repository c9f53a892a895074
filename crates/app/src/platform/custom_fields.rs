//! Custom fields: definitions per object type (create, list, change, delete, audited) and the
//! values on records: validated against the definition, shown only to callers holding the field's
//! permission, and kept as index rows so lists and segments can filter on them.

use crate::codes::Code;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::ids::{CustomFieldId, TenantId};
use crm_domain::platform::custom_fields::{
    FieldDef, FieldType, IndexValue, ObjectType, parse_label, parse_options, parse_permission, parse_value,
};
use crm_domain::{FieldError, FieldErrors};
use crm_store::platform::config_generation;
use crm_store::platform::custom_fields::{
    self as store, CustomFieldChanges, CustomFieldRecord, NewCustomField, ValueCondition,
};
use crm_store::{ConnectionTrait, StoreError, UniqueKey};
use serde_json::{Map, Value, json};
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "custom_field" };

/// A custom field definition.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomFieldView {
    pub id: CustomFieldId,
    pub object_type: ObjectType,
    /// The key in `custom_fields` objects and filters.
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// The allowed values of `select` and `multi_select` fields.
    pub options: Vec<String>,
    pub required: bool,
    /// Only callers holding this permission see and write the field.
    pub permission: Option<String>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&CustomFieldRecord> for CustomFieldView {
    fn from(r: &CustomFieldRecord) -> Self {
        Self {
            id: r.id,
            object_type: r.object_type,
            key: r.key.clone(),
            label: r.label.clone(),
            field_type: r.field_type,
            options: r.options.clone(),
            required: r.required,
            permission: r.permission.clone(),
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `POST /custom-fields`, parsed: a key, a label, options fit for the type, a permission a tenant
/// can grant.
#[derive(Debug, Clone)]
pub struct CreateCustomField {
    pub object_type: ObjectType,
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
    pub permission: Option<String>,
    pub position: i32,
}

/// `PATCH /custom-fields/{id}`; its key and types never change (values depend on them). The
/// options can only be checked against the stored type, so the use case checks every field here
/// together, reporting all that are invalid at once.
#[derive(Debug, Clone, Default)]
pub struct UpdateCustomField {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub permission: Option<Option<String>>,
    pub position: Option<i32>,
}

fn def_of(r: &CustomFieldRecord) -> FieldDef {
    FieldDef { key: r.key.clone(), field_type: r.field_type, options: r.options.clone(), required: r.required }
}

fn audit_json(r: &CustomFieldRecord) -> Value {
    json!({"object_type": r.object_type, "key": r.key, "label": r.label, "field_type": r.field_type,
        "options": r.options, "required": r.required, "permission": r.permission, "position": r.position})
}

/// The definitions of one object type in a tenant, with what a caller may see and write.
#[derive(Debug, Clone)]
pub struct Definitions {
    rows: Vec<CustomFieldRecord>,
}

impl Definitions {
    pub async fn load(c: &impl ConnectionTrait, tenant: TenantId, object: ObjectType) -> Result<Self, AppError> {
        Ok(Self { rows: store::list(c, tenant, Some(object)).await? })
    }

    /// The definitions as of the caller's request: the customers' from the tenant's cached
    /// snapshot, others (and a caller without a snapshot) read now.
    pub async fn current(c: &impl ConnectionTrait, who: &Access, object: ObjectType) -> Result<Self, AppError> {
        match (&who.tenant, object) {
            (Some(t), ObjectType::Customer) => Ok(Self { rows: t.customer_fields.clone() }),
            _ => Self::load(c, who.tenant_id, object).await,
        }
    }

    fn visible<'a>(&'a self, who: &'a Access) -> impl Iterator<Item = &'a CustomFieldRecord> + 'a {
        self.rows.iter().filter(|r| r.permission.as_ref().is_none_or(|p| who.permissions.contains(p)))
    }

    /// The definition of `key` when the caller may use it, with its id as the customers'
    /// criteria carry it.
    pub fn visible_field(&self, who: &Access, key: &str) -> Option<(Uuid, FieldDef)> {
        self.visible(who).find(|r| r.key == key).map(|r| (r.id.0, def_of(r)))
    }

    /// The stored values the caller may see, by key (keys of deleted definitions are dropped).
    pub fn view(&self, who: &Access, stored: &str) -> Map<String, Value> {
        let stored: Map<String, Value> = serde_json::from_str(stored).unwrap_or_default();
        self.visible(who).filter_map(|r| stored.get(&r.key).map(|v| (r.key.clone(), v.clone()))).collect()
    }

    /// Applies `input` (absent keys stay, `null` clears) to the stored JSON and returns the new JSON.
    /// On create, every required field the caller may write must end up with a value.
    pub fn apply(
        &self,
        who: &Access,
        stored: &str,
        input: Option<&Map<String, Value>>,
        prefix: &str,
        creating: bool,
    ) -> Result<String, FieldErrors> {
        let mut errs = FieldErrors::default();
        let old: Map<String, Value> = serde_json::from_str(stored).unwrap_or_default();
        // Only keys with a definition survive a write.
        let mut out: Map<String, Value> =
            self.rows.iter().filter_map(|r| old.get(&r.key).map(|v| (r.key.clone(), v.clone()))).collect();
        if let Some(input) = input {
            for (key, v) in input {
                let field = format!("{prefix}/custom_fields/{key}");
                match self.visible(who).find(|r| &r.key == key) {
                    None => errs.push(FieldError::new(field, "unknown_field")),
                    Some(r) => match parse_value(&field, &def_of(r), v) {
                        Ok(Some(val)) => {
                            out.insert(key.clone(), val.to_json());
                        }
                        Ok(None) => {
                            out.remove(key);
                            if r.required && !creating {
                                errs.push(FieldError::new(field, "required"));
                            }
                        }
                        Err(e) => errs.push(e),
                    },
                }
            }
        }
        if creating {
            // A key given with a bad value already has its error.
            let given = |k: &str| input.is_some_and(|i| i.get(k).is_some_and(|v| !v.is_null()));
            for r in self.visible(who).filter(|r| r.required && !out.contains_key(&r.key) && !given(&r.key)) {
                errs.push(FieldError::new(format!("{prefix}/custom_fields/{}", r.key), "required"));
            }
        }
        errs.into_result().map(|_| Value::Object(out).to_string())
    }

    /// The index values of stored values by field key (what segment rules test).
    pub fn index_by_key(&self, stored: &str) -> std::collections::BTreeMap<String, Vec<IndexValue>> {
        let ids: std::collections::BTreeMap<CustomFieldId, &str> =
            self.rows.iter().map(|r| (r.id, r.key.as_str())).collect();
        self.index_rows(stored).into_iter().filter_map(|(id, v)| ids.get(&id).map(|k| ((*k).to_owned(), v))).collect()
    }

    /// The index rows of stored values.
    pub fn index_rows(&self, stored: &str) -> Vec<(CustomFieldId, Vec<IndexValue>)> {
        let stored: Map<String, Value> = serde_json::from_str(stored).unwrap_or_default();
        self.rows
            .iter()
            .filter_map(|r| {
                let v = stored.get(&r.key)?;
                let val = parse_value("", &def_of(r), v).ok().flatten()?;
                Some((r.id, val.index_values()))
            })
            .collect()
    }
}

/// Rewrites the index rows of an object from its stored JSON (after a write that changed it).
pub(crate) async fn sync_values(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    object: ObjectType,
    id: Uuid,
    stored: &str,
) -> Result<(), AppError> {
    let defs = Definitions::load(c, tenant, object).await?;
    store::replace_values(c, tenant, id, &defs.index_rows(stored)).await?;
    Ok(())
}

/// A filter on one custom field from its text form: `v` (equals; for a multi-select, has the
/// option), or `min..max` for number and date fields (either end may be empty).
pub fn value_condition(field: &str, def: &FieldDef, raw: &str) -> Result<ValueCondition, FieldError> {
    if def.field_type.is_ordered()
        && let Some((lo, hi)) = raw.split_once("..")
    {
        let end = |s: &str| -> Result<Option<Value>, FieldError> {
            if s.is_empty() {
                return Ok(None);
            }
            let v = match def.field_type {
                FieldType::Number => json!(s.parse::<f64>().map_err(|_| FieldError::new(field, "invalid_number"))?),
                _ => json!(s),
            };
            parse_value(field, def, &v).map(|v| v.map(|v| v.to_json()))
        };
        let (lo, hi) = (end(lo)?, end(hi)?);
        return Ok(match def.field_type {
            FieldType::Number => {
                ValueCondition::NumberRange { min: lo.and_then(|v| v.as_f64()), max: hi.and_then(|v| v.as_f64()) }
            }
            _ => ValueCondition::TextRange {
                min: lo.and_then(|v| v.as_str().map(str::to_owned)),
                max: hi.and_then(|v| v.as_str().map(str::to_owned)),
            },
        });
    }
    let v = match def.field_type {
        FieldType::Number => json!(raw.parse::<f64>().map_err(|_| FieldError::new(field, "invalid_number"))?),
        FieldType::Bool => match raw {
            "true" => json!(true),
            "false" => json!(false),
            _ => return Err(FieldError::new(field, "invalid_type").with("expected", "bool")),
        },
        FieldType::MultiSelect => json!([raw]),
        _ => json!(raw),
    };
    let parsed = parse_value(field, def, &v)?.ok_or_else(|| FieldError::new(field, "required"))?;
    Ok(match parsed.index_values().into_iter().next() {
        Some(IndexValue::Number(n)) => ValueCondition::NumberRange { min: Some(n), max: Some(n) },
        Some(IndexValue::Text(t)) => ValueCondition::TextIn(vec![t]),
        None => ValueCondition::Any,
    })
}

fn key_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::CustomFieldKey) {
        AppError::Conflict { code: Code::CustomFieldKeyTaken, field: Some("/key".to_owned()) }
    } else {
        e.into()
    }
}

impl App {
    pub async fn create_custom_field(&self, who: &Access, cmd: CreateCustomField) -> Result<CustomFieldView, AppError> {
        who.require("custom_fields:write")?;
        let new = NewCustomField {
            tenant_id: who.tenant_id,
            id: CustomFieldId::new(),
            object_type: cmd.object_type,
            key: &cmd.key,
            label: &cmd.label,
            field_type: cmd.field_type,
            options: &cmd.options,
            required: cmd.required,
            permission: cmd.permission.as_deref(),
            position: cmd.position,
        };
        let tx = self.store().begin_write().await?;
        let row = store::insert(&tx, new).await.map_err(key_taken)?;
        audit::record(&tx, who, "create", "custom_field", row.id.0, audit_json(&row)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(|e| key_taken(e.into()))?;
        Ok((&row).into())
    }

    pub async fn list_custom_fields(
        &self,
        who: &Access,
        object_type: Option<ObjectType>,
    ) -> Result<Vec<CustomFieldView>, AppError> {
        who.require("custom_fields:read")?;
        Ok(store::list(self.store().conn(), who.tenant_id, object_type).await?.iter().map(Into::into).collect())
    }

    pub async fn update_custom_field(
        &self,
        who: &Access,
        id: CustomFieldId,
        cmd: UpdateCustomField,
    ) -> Result<CustomFieldView, AppError> {
        who.require("custom_fields:write")?;
        let tx = self.store().begin_write().await?;
        let before = store::find(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let mut after = before.clone();
        let mut errs = FieldErrors::default();
        if let Some(l) = cmd.label.as_deref().and_then(|l| errs.check(parse_label("/label", l))) {
            after.label = l;
        }
        if let Some(o) = &cmd.options {
            match parse_options("/options", before.field_type, o) {
                Ok(o) => after.options = o,
                Err(e) => errs.0.extend(e.0),
            }
        }
        if let Some(p) = &cmd.permission {
            after.permission = p.as_deref().and_then(|p| errs.check(parse_permission("/permission", p)));
        }
        if let Some(r) = cmd.required {
            after.required = r;
        }
        if let Some(p) = cmd.position {
            after.position = p;
        }
        errs.into_result()?;
        // An option still held by a record cannot be withdrawn.
        let removed: Vec<String> = before.options.iter().filter(|o| !after.options.contains(o)).cloned().collect();
        if !removed.is_empty() && store::any_value_in(&tx, who.tenant_id, id, &removed).await? {
            return Err(AppError::Conflict { code: Code::CustomFieldOptionInUse, field: Some("/options".to_owned()) });
        }
        if after == before {
            return Ok((&before).into());
        }
        let diff = audit::diff(&audit_json(&before), &audit_json(&after));
        let changes = CustomFieldChanges {
            label: &after.label,
            options: &after.options,
            required: after.required,
            permission: after.permission.as_deref(),
            position: after.position,
        };
        let row = store::update(&tx, &before, changes).await?;
        audit::record(&tx, who, "update", "custom_field", id.0, diff).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((&row).into())
    }

    /// Deletes a definition and every value of it.
    pub async fn delete_custom_field(&self, who: &Access, id: CustomFieldId) -> Result<(), AppError> {
        who.require("custom_fields:write")?;
        let tx = self.store().begin_write().await?;
        let row = store::find(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        store::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "custom_field", id.0, audit_json(&row)).await?;
        config_generation::bump(&tx, who.tenant_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
