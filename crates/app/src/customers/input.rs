//! A change of a customer's writable fields, already parsed (`crm-api` converts request bodies
//! into it), and how it applies to the record.

use chrono::NaiveDate;
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade, Phone};
use crm_domain::ids::{TagId, UserId};
use crm_domain::{FieldError, FieldErrors};
use crm_store::customers::records::Customer;

/// The fields a caller writes, each valid. On create, absent fields are empty; on change, absent
/// fields stay and `Some(None)` clears. A field that was sent but could not be parsed is absent
/// here and listed in `invalid`: the use case reports it together with what it finds itself
/// (an unknown owner or tag, a custom field the tenant does not define), so a caller learns every
/// invalid field at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerInput {
    pub kind: Option<CustomerKind>,
    /// Trimmed, 1 to 200 characters.
    pub name: Option<String>,
    pub phone: Option<Option<Phone>>,
    /// Lowercase.
    pub email: Option<Option<String>>,
    pub gender: Option<Option<Gender>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub id_number: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub province: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub district: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub source: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub level: Option<Option<String>>,
    pub grade: Option<LifecycleGrade>,
    pub owner_id: Option<Option<UserId>>,
    pub notes: Option<Option<String>>,
    /// Replaces the customer's tags.
    pub tag_ids: Option<Vec<TagId>>,
    /// Custom field values by key: present keys replace, `null` clears, absent keys stay
    /// (checked against the tenant's definitions by the use case).
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// The fields that were sent but are not valid (paths from the input's root: `/phone`).
    pub invalid: FieldErrors,
}

impl CustomerInput {
    /// Whether `name` is missing: not sent at all (one sent but invalid is in `invalid`).
    pub fn lacks_name(&self) -> bool {
        self.name.is_none() && !self.invalid.0.iter().any(|e| e.field == "/name")
    }

    /// The invalid fields, under `prefix` (`/items/3`).
    pub fn invalid_under(&self, prefix: &str) -> Vec<FieldError> {
        self.invalid.0.iter().cloned().map(|e| e.under(prefix)).collect()
    }
}

/// Applies `input` to `r` (a blank record on create). Taking an owner starts its ownership now.
pub fn apply(r: &mut Customer, input: &CustomerInput) {
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = &input.$f { r.$f = v.clone(); } )* };
    }
    set!(email, birthday, id_number, company, province, city, district, address, source, industry, level, notes);
    if let Some(k) = input.kind {
        r.kind = k;
    }
    if let Some(n) = &input.name {
        r.name.clone_from(n);
    }
    if let Some(p) = &input.phone {
        r.phone = p.as_ref().map(|p| p.e164().to_owned());
    }
    if let Some(g) = input.gender {
        r.gender = g;
    }
    if let Some(g) = input.grade {
        r.grade = g;
    }
    if let Some(o) = input.owner_id
        && r.owner_id != o
    {
        r.owner_id = o;
        r.owned_since = o.map(|_| chrono::Utc::now());
    }
}

/// Whether the fields that make a customer (not bookkeeping) differ.
pub fn same_content(a: &Customer, b: &Customer) -> bool {
    let strip = |r: &Customer| {
        let mut r = r.clone();
        r.updated_at = chrono::DateTime::<chrono::Utc>::MIN_UTC;
        r.change_seq = 0;
        r
    };
    strip(a) == strip(b)
}

/// A required field missing on create.
pub fn required(field: String) -> FieldError {
    FieldError::new(field, "required")
}
