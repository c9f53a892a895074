//! A customer as callers see it (phone and id number masked unless the caller may see them), and
//! the probable duplicates a create or change is answered or refused with.

use super::tags::TagView;
use crate::platform::custom_fields::Definitions;
use crate::{Access, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::customer::mask_id_number;
use crm_domain::customers::duplicates::DuplicateReason;
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade, Phone};
use crm_domain::ids::{CustomerId, UserId};
use crm_store::customers::records::Customer;
use serde::Serialize;
use uuid::Uuid;

/// The permission that shows personal data unmasked.
pub const PII: &str = "customers:read_pii";

/// A stored (E.164) phone as `who` may see it: masked without [`PII`].
pub(crate) fn shown_phone(who: &Access, phone: Option<String>) -> Option<String> {
    if who.permissions.contains(PII) { phone } else { phone.as_deref().map(masked_phone) }
}

/// A stored (E.164) phone masked, as every audit entry carries it.
pub(crate) fn masked_phone(phone: &str) -> String {
    Phone::from_e164(phone).masked()
}

/// A customer. `phone` and `id_number` are masked unless the caller holds `customers:read_pii`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerView {
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<Gender>,
    pub birthday: Option<NaiveDate>,
    pub id_number: Option<String>,
    pub company: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub industry: Option<String>,
    pub level: Option<String>,
    pub grade: LifecycleGrade,
    pub owner_id: Option<UserId>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set when the customer is in the trash (`DELETE`d, restorable).
    pub deleted_at: Option<DateTime<Utc>>,
    pub tags: Vec<TagView>,
    /// Custom field values by key: only the fields the caller may see.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// Sent as the `ETag` header.
    #[serde(skip)]
    pub etag: String,
}

impl CustomerView {
    pub fn new(r: Customer, who: &Access, tags: Vec<TagView>, defs: &Definitions) -> Self {
        let pii = who.permissions.contains(PII);
        let phone = shown_phone(who, r.phone);
        let custom_fields = defs.view(who, &r.custom_fields);
        Self {
            id: r.id,
            kind: r.kind,
            name: r.name,
            phone,
            email: r.email,
            gender: r.gender,
            birthday: r.birthday,
            id_number: r.id_number.map(|i| if pii { i } else { mask_id_number(&i) }),
            company: r.company,
            province: r.province,
            city: r.city,
            district: r.district,
            address: r.address,
            source: r.source,
            external_id: r.external_id,
            industry: r.industry,
            level: r.level,
            grade: r.grade,
            owner_id: r.owner_id,
            notes: r.notes,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            tags,
            custom_fields,
            etag: etag::of(r.updated_at),
        }
    }
}

/// An existing customer that a new one probably duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DuplicateRef))]
pub struct DuplicateCandidate {
    /// `null` when the customer is outside the caller's data scope.
    pub customer_id: Option<CustomerId>,
    pub reasons: Vec<DuplicateReason>,
}

/// A new customer, with the existing customers it probably duplicates.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedCustomer {
    #[serde(flatten)]
    pub customer: CustomerView,
    /// Probable duplicates (`customer_id` is `null` for one outside the caller's data scope).
    pub warnings: Vec<DuplicateCandidate>,
}

/// The audit form of a record: the written fields, personal data masked.
pub fn audit_json(r: &Customer) -> serde_json::Value {
    serde_json::json!({
        "kind": r.kind, "name": r.name,
        "phone": r.phone.as_deref().map(masked_phone),
        "email": r.email, "gender": r.gender, "birthday": r.birthday,
        "id_number": r.id_number.as_deref().map(mask_id_number),
        "company": r.company, "province": r.province, "city": r.city, "district": r.district,
        "address": r.address, "source": r.source, "external_id": r.external_id, "industry": r.industry,
        "level": r.level, "grade": r.grade, "owner_id": r.owner_id, "notes": r.notes,
        "deleted_at": r.deleted_at, "merged_into": r.merged_into,
        "custom_fields": serde_json::from_str::<serde_json::Value>(&r.custom_fields).unwrap_or_default(),
    })
}
