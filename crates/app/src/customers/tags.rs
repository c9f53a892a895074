//! Tags with categories: create, list, delete, and the tags a customer carries.

use crate::codes::Code;
use crate::paging::Items;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::customers::TagCategory;
use crm_domain::ids::{CustomerId, TagId};
use crm_domain::{FieldError, FieldErrors};
use crm_store::UniqueKey;
use crm_store::customers::tags::{self, Tag};
use crm_store::{ConnectionTrait, StoreError};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagView {
    pub id: TagId,
    pub name: String,
    pub category: TagCategory,
    pub created_at: DateTime<Utc>,
}

impl From<Tag> for TagView {
    fn from(r: Tag) -> Self {
        Self { id: r.id, name: r.name, category: r.category, created_at: r.created_at }
    }
}

/// A new tag, each field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    /// Trimmed, 1 to 100 characters; unique within its category.
    pub name: String,
    pub category: TagCategory,
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "tag" };

fn taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::TagName) {
        AppError::Conflict { code: Code::TagNameTaken, field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

/// Checks that every id names a tag of the tenant (errors at `{field}/{i}`).
pub(crate) async fn check_tags(
    c: &impl ConnectionTrait,
    who: &Access,
    ids: &[TagId],
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
    customers: &[CustomerId],
) -> Result<BTreeMap<CustomerId, Vec<TagView>>, AppError> {
    let mut out: BTreeMap<CustomerId, Vec<TagView>> = BTreeMap::new();
    for (cust, tag) in tags::of_customers(c, who.tenant_id, customers).await? {
        out.entry(cust).or_default().push(tag.into());
    }
    Ok(out)
}

impl App {
    pub async fn create_tag(&self, who: &Access, input: NewTag) -> Result<TagView, AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let tag = Tag { id: TagId::new(), name: input.name, category: input.category, created_at: Utc::now() };
        let row = tags::insert(&tx, who.tenant_id, &tag).await.map_err(taken)?;
        audit::record(&tx, who, "create", "tag", row.id.0, json!({"name": row.name, "category": row.category})).await?;
        tx.commit().await.map_err(StoreError::from).map_err(taken)?;
        Ok(row.into())
    }

    /// The tenant's tags by category and name.
    pub async fn list_tags(&self, who: &Access, category: Option<TagCategory>) -> Result<Items<TagView>, AppError> {
        who.require("customers:read")?;
        let items =
            tags::list(self.store().conn(), who.tenant_id, category).await?.into_iter().map(Into::into).collect();
        Ok(Items { items })
    }

    /// Deletes a tag; it comes off every customer.
    pub async fn delete_tag(&self, who: &Access, id: TagId) -> Result<(), AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        // Locked before its links go: a customer write that holds the tag finishes first.
        let row = tags::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        tags::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "tag", id.0, json!({"name": row.name, "category": row.category})).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
