//! Contacts of organization customers: add, list, change, remove.

use super::view::{masked_phone, shown_phone};
use crate::codes::Code;
use crate::paging::Items;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::{DateTime, Utc};
use crm_domain::FieldError;
use crm_domain::customers::{CustomerKind, Phone};
use crm_domain::ids::{ContactId, CustomerId};
use crm_store::StoreError;
use crm_store::customers::contacts::{self, Contact};
use crm_store::customers::records as customers;
use serde::Serialize;
use serde_json::json;

/// A contact. The phone (E.164) is masked like a customer's (`+86 138****5678`) unless the caller
/// holds `customers:read_pii`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactView {
    pub id: ContactId,
    pub customer_id: CustomerId,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_primary: bool,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContactView {
    fn new(r: Contact, who: &Access) -> Self {
        Self {
            id: r.id,
            customer_id: r.customer_id,
            name: r.name,
            title: r.title,
            phone: shown_phone(who, r.phone),
            email: r.email,
            is_primary: r.is_primary,
            notes: r.notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Contact fields, each valid; on change, absent fields stay and `Some(None)` clears.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactInput {
    /// Required on create.
    pub name: Option<String>,
    pub title: Option<Option<String>>,
    pub phone: Option<Option<Phone>>,
    pub email: Option<Option<String>>,
    pub is_primary: Option<bool>,
    pub notes: Option<Option<String>>,
}

fn apply(r: &mut Contact, input: &ContactInput) {
    if let Some(n) = &input.name {
        r.name.clone_from(n);
    }
    if let Some(t) = &input.title {
        r.title.clone_from(t);
    }
    if let Some(p) = &input.phone {
        r.phone = p.as_ref().map(|p| p.e164().to_owned());
    }
    if let Some(e) = &input.email {
        r.email.clone_from(e);
    }
    if let Some(p) = input.is_primary {
        r.is_primary = p;
    }
    if let Some(n) = &input.notes {
        r.notes.clone_from(n);
    }
}

/// The audit form of a contact: the phone masked, as in a customer's entries.
fn audit_json(r: &Contact) -> serde_json::Value {
    json!({"customer_id": r.customer_id, "name": r.name, "title": r.title,
        "phone": r.phone.as_deref().map(masked_phone), "email": r.email, "is_primary": r.is_primary})
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "contact" };
const CUSTOMER_NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };

impl App {
    pub async fn add_contact(
        &self,
        who: &Access,
        customer: CustomerId,
        input: ContactInput,
    ) -> Result<ContactView, AppError> {
        who.require("customers:write")?;
        if input.name.is_none() {
            return Err(FieldError::new("/name", "required").into());
        }
        let now = Utc::now();
        let mut row = Contact {
            tenant_id: who.tenant_id,
            id: ContactId::new(),
            customer_id: customer,
            name: String::new(),
            title: None,
            phone: None,
            email: None,
            is_primary: false,
            notes: None,
            created_at: now,
            updated_at: now,
        };
        apply(&mut row, &input);
        let tx = self.store().begin_write().await?;
        // The customer stays live (not deleted or merged away) until this commits.
        let c = customers::lock_scoped(&tx, who.tenant_id, &who.scope, customer)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(CUSTOMER_NOT_FOUND)?;
        if c.kind != CustomerKind::Organization {
            return Err(AppError::Conflict { code: Code::CustomerNotOrganization, field: None });
        }
        let row = contacts::insert(&tx, row).await?;
        if row.is_primary {
            contacts::clear_primary(&tx, who.tenant_id, customer, row.id).await?;
        }
        audit::record(&tx, who, "create", "contact", row.id.0, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ContactView::new(row, who))
    }

    /// A customer's contacts, primary first.
    pub async fn list_contacts(&self, who: &Access, customer: CustomerId) -> Result<Items<ContactView>, AppError> {
        who.require("customers:read")?;
        let db = self.store().conn();
        customers::find_scoped(db, who.tenant_id, &who.scope, customer)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(CUSTOMER_NOT_FOUND)?;
        let items = contacts::of_customer(db, who.tenant_id, customer)
            .await?
            .into_iter()
            .map(|r| ContactView::new(r, who))
            .collect();
        Ok(Items { items })
    }

    /// Finds and locks a contact whose customer the caller may see, locking the customer first
    /// (the order of a merge, which moves contacts): the contact cannot change or move meanwhile.
    async fn scoped_contact(
        &self,
        tx: &crm_store::DatabaseTransaction,
        who: &Access,
        id: ContactId,
    ) -> Result<Contact, AppError> {
        let row = contacts::find(tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        customers::lock_scoped(tx, who.tenant_id, &who.scope, row.customer_id)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(NOT_FOUND)?;
        // Re-read under the lock: a merge may have moved it to another customer meanwhile.
        contacts::lock_of_customer(tx, who.tenant_id, id, row.customer_id).await?.ok_or(NOT_FOUND)
    }

    pub async fn update_contact(
        &self,
        who: &Access,
        id: ContactId,
        input: ContactInput,
    ) -> Result<ContactView, AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let before = self.scoped_contact(&tx, who, id).await?;
        let mut after = before.clone();
        apply(&mut after, &input);
        after.updated_at = Utc::now();
        let row = contacts::update(&tx, after).await?;
        if row.is_primary {
            contacts::clear_primary(&tx, who.tenant_id, row.customer_id, row.id).await?;
        }
        let diff = audit::diff(&audit_json(&before), &audit_json(&row));
        audit::record(&tx, who, "update", "contact", id.0, diff).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(ContactView::new(row, who))
    }

    pub async fn delete_contact(&self, who: &Access, id: ContactId) -> Result<(), AppError> {
        who.require("customers:write")?;
        let tx = self.store().begin_write().await?;
        let row = self.scoped_contact(&tx, who, id).await?;
        contacts::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "contact", id.0, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
