//! A customer as callers see it: phone and id number masked unless the caller may see them.

use super::tags::TagView;
use crate::platform::custom_fields::Definitions;
use crate::{Access, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::Phone;
use crm_domain::customers::customer::mask_id_number;
use crm_store::customers::records::CustomerRow;
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

#[derive(Debug, Clone)]
pub struct CustomerView {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
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
    pub grade: String,
    pub owner_id: Option<Uuid>,
    pub notes: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub tags: Vec<TagView>,
    /// The custom field values the caller may see.
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub etag: String,
}

impl CustomerView {
    pub fn new(r: CustomerRow, who: &Access, tags: Vec<TagView>, defs: &Definitions) -> Self {
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

/// The audit form of a row: the written fields, personal data masked.
pub fn audit_json(r: &CustomerRow) -> serde_json::Value {
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
