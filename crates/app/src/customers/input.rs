//! Customer input: parsing a create or change into the stored row, with search keys derived.

use chrono::NaiveDate;
use crm_domain::customers::customer::{parse_email, parse_id_number, parse_text};
use crm_domain::customers::duplicates::company_key;
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade, NameKeys, Phone};
use crm_domain::identity::org::parse_name;
use crm_domain::{FieldError, FieldErrors, limits};
use crm_store::customers::records::CustomerRow;
use uuid::Uuid;

/// Fields a caller may write. On create, absent fields are empty; on change, absent fields stay
/// and `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct CustomerInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub gender: Option<Option<String>>,
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
    pub grade: Option<String>,
    pub owner_id: Option<Option<Uuid>>,
    pub notes: Option<Option<String>>,
    /// Replaces the customer's tags.
    pub tag_ids: Option<Vec<Uuid>>,
    /// Custom field values by key: present keys replace, `null` clears, absent keys stay.
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Applies `input` to `row` (a fresh row on create), validating every field and re-deriving the
/// search keys. All errors are collected.
pub fn apply(row: &mut CustomerRow, input: &CustomerInput, prefix: &str) -> Result<(), FieldErrors> {
    let mut errs = FieldErrors::default();
    let f = |name: &str| format!("{prefix}/{name}");
    if let Some(k) = &input.kind
        && let Some(k) = errs.check(CustomerKind::parse(&f("kind"), k))
    {
        row.kind = k.as_str().to_owned();
    }
    if let Some(n) = &input.name
        && let Some(n) = errs.check(parse_name(&f("name"), n))
    {
        let keys = NameKeys::of(&n);
        row.name = n;
        row.name_norm = keys.norm;
        row.name_pinyin = keys.pinyin;
        row.name_initials = keys.initials;
    }
    if let Some(p) = &input.phone {
        match p.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                row.phone = None;
                row.phone_last4 = None;
            }
            Some(raw) => {
                if let Some(p) = errs.check(Phone::parse(&f("phone"), raw)) {
                    row.phone_last4 = Some(p.last4());
                    row.phone = Some(p.e164().to_owned());
                }
            }
        }
    }
    if let Some(e) = &input.email {
        match e.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => row.email = None,
            Some(raw) => row.email = errs.check(parse_email(&f("email"), raw)).or(row.email.take()),
        }
    }
    if let Some(g) = &input.gender {
        match g {
            None => row.gender = None,
            Some(g) => row.gender = errs.check(Gender::parse(&f("gender"), g)).map(|g| g.as_str().to_owned()),
        }
    }
    if let Some(b) = input.birthday {
        row.birthday = b;
    }
    if let Some(i) = &input.id_number {
        match i.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => row.id_number = None,
            Some(raw) => row.id_number = errs.check(parse_id_number(&f("id_number"), raw)),
        }
    }
    for (name, value, max, target) in [
        ("company", &input.company, limits::COMPANY, &mut row.company),
        ("province", &input.province, limits::PROVINCE, &mut row.province),
        ("city", &input.city, limits::CITY, &mut row.city),
        ("district", &input.district, limits::DISTRICT, &mut row.district),
        ("address", &input.address, limits::ADDRESS, &mut row.address),
        ("source", &input.source, limits::SOURCE, &mut row.source),
        ("industry", &input.industry, limits::INDUSTRY, &mut row.industry),
        ("level", &input.level, limits::LEVEL, &mut row.level),
        ("notes", &input.notes, 10_000, &mut row.notes),
    ] {
        if let Some(v) = value
            && let Some(v) = errs.check(parse_text(&f(name), v.as_deref(), max))
        {
            *target = v;
        }
    }
    row.company_key = row.company.as_deref().map(company_key).filter(|k| !k.is_empty());
    if let Some(g) = &input.grade
        && let Some(g) = errs.check(LifecycleGrade::parse(&f("grade"), g))
    {
        row.grade = g.as_str().to_owned();
    }
    if let Some(o) = input.owner_id
        && row.owner_id != o
    {
        row.owner_id = o;
        row.owned_since = o.map(|_| chrono::Utc::now());
    }
    errs.into_result()
}

/// Whether the fields that make a customer (not bookkeeping) differ.
pub fn same_content(a: &CustomerRow, b: &CustomerRow) -> bool {
    let strip = |r: &CustomerRow| {
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
