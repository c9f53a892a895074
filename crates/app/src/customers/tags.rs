//! Tags with categories: create, list, delete, and the tags a customer carries.

use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::customers::TagCategory;
use crm_domain::customers::customer::parse_text;
use crm_domain::{FieldError, FieldErrors};
use crm_store::UniqueKey;
use crm_store::customers::tags::{self, TagRow};
use crm_store::{ConnectionTrait, StoreError};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A tag as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagView {
    pub id: Uuid,
    pub name: String,
    pub category: String,
    pub created_at: DateTime<Utc>,
}

impl From<TagRow> for TagView {
    fn from(r: TagRow) -> Self {
        Self { id: r.id, name: r.name, category: r.category, created_at: r.created_at }
    }
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "tag" };

fn taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::TagName) {
        AppError::Conflict { code: "tag.name_taken", field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

/// Checks that every id names a tag of the tenant (errors at `{field}/{i}`).
pub(crate) async fn check_tags(
    c: &impl ConnectionTrait,
    who: &Access,
    ids: &[Uuid],
    field: &str,
    errs: &mut FieldErrors,
) -> Result<(), AppError> {
    for (i, id) in ids.iter().enumerate() {
        if tags::find(c, who.tenant_id, *id).await?.is_none() {
            errs.push(FieldError::new(format!("{field}/{i}"), "not_found"));
        }
    }
    Ok(())
}

/// The tags of each customer, by customer id.
pub(crate) async fn tags_by_customer(
    c: &impl ConnectionTrait,
    who: &Access,
    customers: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<TagView>>, AppError> {
    let mut out: BTreeMap<Uuid, Vec<TagView>> = BTreeMap::new();
    for (cust, tag) in tags::of_customers(c, who.tenant_id, customers).await? {
        out.entry(cust).or_default().push(tag.into());
    }
    Ok(out)
}

impl App {
    pub async fn create_tag(&self, who: &Access, name: &str, category: &str) -> Result<TagView, AppError> {
        who.require("customers:write")?;
        let mut errs = FieldErrors::default();
        let name = match errs.check(parse_text("/name", Some(name), crm_domain::limits::TAG_NAME)) {
            Some(Some(n)) => Some(n),
            Some(None) => {
                errs.push(FieldError::new("/name", "required"));
                None
            }
            None => None,
        };
        let category = errs.check(TagCategory::parse("/category", category));
        errs.into_result()?;
        let (Some(name), Some(category)) = (name, category) else {
            return Err(AppError::Internal("unreachable".into()));
        };
        let tx = self.store().begin_write().await?;
        let row = tags::insert(
            &tx,
            TagRow {
                tenant_id: who.tenant_id.0,
                id: Uuid::now_v7(),
                name,
                category: category.as_str().to_owned(),
                created_at: Utc::now(),
            },
        )
        .await
        .map_err(taken)?;
        audit::record(&tx, who, "create", "tag", row.id, json!({"name": row.name, "category": row.category})).await?;
        tx.commit().await.map_err(StoreError::from).map_err(taken)?;
        Ok(row.into())
    }

    pub async fn list_tags(&self, who: &Access, category: Option<&str>) -> Result<Vec<TagView>, AppError> {
        who.require("customers:read")?;
        if let Some(c) = category {
            TagCategory::parse("/category", c)?;
        }
        Ok(tags::list(self.store().conn(), who.tenant_id, category).await?.into_iter().map(Into::into).collect())
    }

    /// Deletes a tag; it comes off every customer.
    pub async fn delete_tag(&self, who: &Access, id: Uuid) -> Result<(), AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        // Locked before its links go: a customer write that holds the tag finishes first.
        let row = tags::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        tags::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "tag", id, json!({"name": row.name, "category": row.category})).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
