//! The customer list's filters as criteria: every listed field, custom fields by key, the time
//! since the last interaction, and the public pool.

use crate::platform::custom_fields::{Definitions, value_condition};
use crate::{Access, AppError};
use chrono::{Duration, NaiveDate, Utc};
use crm_domain::customers::{CustomerKind, Gender, LifecycleGrade};
use crm_domain::ids::{TagId, UserId};
use crm_domain::platform::custom_fields::ObjectType;
use crm_domain::{FieldError, FieldErrors};
use crm_store::ConnectionTrait;
use crm_store::customers::criteria::{Criterion, DateColumn, SetOp, TextColumn};
use crm_store::customers::records::CustomerFilter;

/// What a caller filters the list by (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// Free text: name, pinyin, initials, phone, email.
    pub q: Option<crm_domain::customers::SearchQuery>,
    pub owner_id: Option<UserId>,
    pub tag_id: Option<TagId>,
    /// The trash instead of the live customers.
    pub deleted: bool,
    pub kind: Option<CustomerKind>,
    pub grade: Option<LifecycleGrade>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub industry: Option<String>,
    pub gender: Option<Gender>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub company: Option<String>,
    pub birthday_from: Option<NaiveDate>,
    pub birthday_to: Option<NaiveDate>,
    pub created_from: Option<NaiveDate>,
    pub created_to: Option<NaiveDate>,
    /// At least this many days since the last interaction (never contacted included).
    pub inactive_days: Option<u32>,
    /// An interaction within this many days.
    pub active_days: Option<u32>,
    /// `true`: only customers in the public pool (no owner); `false`: only owned ones.
    pub in_pool: Option<bool>,
    /// `(key, value)`: a custom field equals the value, or is within `min..max`.
    pub custom: Vec<(String, String)>,
    /// A membership card number or its beginning (with `q`: either may match).
    pub card_no: Option<String>,
}

fn text(column: TextColumn, v: String) -> Criterion {
    Criterion::Text { column, op: SetOp::In, values: vec![v] }
}

/// The store's filter for `f`; a value that cannot match any customer is an error naming the parameter.
pub async fn store_filter(c: &impl ConnectionTrait, who: &Access, f: ListFilters) -> Result<CustomerFilter, AppError> {
    let mut errs = FieldErrors::default();
    let mut out = Vec::new();
    for (column, v) in [
        (TextColumn::Kind, f.kind.map(|k| k.as_str().to_owned())),
        (TextColumn::Grade, f.grade.map(|g| g.as_str().to_owned())),
        (TextColumn::Gender, f.gender.map(|g| g.as_str().to_owned())),
        (TextColumn::Level, f.level),
        (TextColumn::Source, f.source),
        (TextColumn::Industry, f.industry),
        (TextColumn::Province, f.province),
        (TextColumn::City, f.city),
        (TextColumn::District, f.district),
        (TextColumn::Company, f.company),
    ] {
        if let Some(v) = v {
            out.push(text(column, v));
        }
    }
    if f.birthday_from.is_some() || f.birthday_to.is_some() {
        out.push(Criterion::Date { column: DateColumn::Birthday, min: f.birthday_from, max: f.birthday_to });
    }
    if f.created_from.is_some() || f.created_to.is_some() {
        out.push(Criterion::Date { column: DateColumn::CreatedAt, min: f.created_from, max: f.created_to });
    }
    let now = Utc::now();
    if let Some(d) = f.inactive_days {
        out.push(Criterion::InactiveSince(now - Duration::days(i64::from(d))));
    }
    if let Some(d) = f.active_days {
        out.push(Criterion::ActiveSince(now - Duration::days(i64::from(d))));
    }
    if let Some(p) = f.in_pool {
        out.push(Criterion::Owner { op: if p { SetOp::IsNotSet } else { SetOp::IsSet }, ids: Vec::new() });
    }
    if !f.custom.is_empty() {
        let defs = Definitions::current(c, who, ObjectType::Customer).await?;
        for (key, raw) in f.custom {
            let field = format!("/custom[{key}]");
            match defs.visible_field(who, &key) {
                None => errs.push(FieldError::new(field, "unknown_field")),
                Some((id, def)) => {
                    if let Some(cond) = errs.check(value_condition(&field, &def, &raw)) {
                        out.push(Criterion::Custom { field: id, cond, negate: false });
                    }
                }
            }
        }
    }
    errs.into_result()?;
    Ok(CustomerFilter {
        q: f.q,
        owner_id: f.owner_id,
        tag_id: f.tag_id,
        deleted: f.deleted,
        criteria: out,
        match_any: false,
        card_prefix: f.card_no,
    })
}
