//! 自定义字段: fields a tenant adds to an object type (text, number, date, single and multi select,
//! bool), their definitions, and the validation of values against a definition. A value is stored
//! twice: as JSON on the object (what is shown) and as index rows (what filters read).

use crate::macros::str_enum;
use crate::{FieldError, FieldErrors};
use chrono::NaiveDate;
use serde_json::Value;

/// The most options a select field may have, and the longest option or text value.
pub const MAX_OPTIONS: usize = 200;
pub const MAX_TEXT: usize = crate::limits::CUSTOM_FIELD_TEXT;

str_enum!(
    /// The kinds of record that carry custom fields (members, opportunities ... add theirs as they come).
    ObjectType { Customer => "customer" }
);
str_enum!(
    /// What a custom field holds.
    FieldType {
        Text => "text",
        Number => "number",
        Date => "date",
        Select => "select",
        MultiSelect => "multi_select",
        Bool => "bool",
    }
);

impl FieldType {
    /// Whether values compare as numbers or dates (range filters).
    pub fn is_ordered(self) -> bool {
        matches!(self, FieldType::Number | FieldType::Date)
    }
}

/// A field key: `[a-z][a-z0-9_]*`, at most 64 characters.
pub fn parse_key(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok = !raw.is_empty()
        && raw.len() <= crate::limits::CUSTOM_FIELD_KEY
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(raw.to_owned()) } else { Err(FieldError::new(field, "invalid_key")) }
}

/// A field's label: 1 to [`crate::limits::CUSTOM_FIELD_LABEL`] characters after trimming.
pub fn parse_label(field: &str, raw: &str) -> Result<String, FieldError> {
    let max = crate::limits::CUSTOM_FIELD_LABEL;
    crate::customers::customer::parse_text(field, Some(raw), max)?
        .ok_or_else(|| FieldError::new(field, "length").with("min", 1).with("max", max))
}

/// The permission a field asks of those who see and write it: one a tenant can grant.
pub fn parse_permission(field: &str, raw: &str) -> Result<String, FieldError> {
    match crate::identity::permission::tenant_grantable().find(|p| p.name == raw) {
        Some(p) => Ok(p.name.to_owned()),
        None => Err(FieldError::new(field, "permission_unknown")),
    }
}

/// The options of a select field: 1 to [`MAX_OPTIONS`] distinct non-empty strings; none for other types.
pub fn parse_options(field: &str, ty: FieldType, options: &[String]) -> Result<Vec<String>, FieldErrors> {
    let mut errs = FieldErrors::default();
    let select = matches!(ty, FieldType::Select | FieldType::MultiSelect);
    if !select {
        if !options.is_empty() {
            errs.push(FieldError::new(field, "options_not_allowed"));
        }
        return errs.into_result().map(|_| Vec::new());
    }
    if options.is_empty() || options.len() > MAX_OPTIONS {
        errs.push(FieldError::new(field, "range").with("min", 1).with("max", MAX_OPTIONS));
    }
    let mut out: Vec<String> = Vec::with_capacity(options.len());
    for (i, o) in options.iter().enumerate() {
        let o = o.trim();
        if o.is_empty() || o.chars().count() > 100 {
            errs.push(FieldError::new(format!("{field}/{i}"), "length").with("min", 1).with("max", 100));
        } else if out.iter().any(|x| x == o) {
            errs.push(FieldError::new(format!("{field}/{i}"), "duplicate"));
        } else {
            out.push(o.to_owned());
        }
    }
    errs.into_result().map(|_| out)
}

/// A definition as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub key: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
}

/// One valid value of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Select(String),
    MultiSelect(Vec<String>),
    Bool(bool),
}

/// One index row of a value: its text form (text, select options, `YYYY-MM-DD` dates, `true` /
/// `false`) or its number.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    Text(String),
    Number(f64),
}

impl FieldValue {
    /// The JSON the object shows.
    pub fn to_json(&self) -> Value {
        match self {
            FieldValue::Text(s) | FieldValue::Select(s) => Value::String(s.clone()),
            FieldValue::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            FieldValue::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            FieldValue::MultiSelect(v) => Value::Array(v.iter().cloned().map(Value::String).collect()),
            FieldValue::Bool(b) => Value::Bool(*b),
        }
    }

    /// The rows filters read (a multi-select has one per option).
    pub fn index_values(&self) -> Vec<IndexValue> {
        match self {
            FieldValue::Text(s) | FieldValue::Select(s) => vec![IndexValue::Text(s.clone())],
            FieldValue::Number(n) => vec![IndexValue::Number(*n)],
            FieldValue::Date(d) => vec![IndexValue::Text(d.format("%Y-%m-%d").to_string())],
            FieldValue::MultiSelect(v) => v.iter().cloned().map(IndexValue::Text).collect(),
            FieldValue::Bool(b) => vec![IndexValue::Text(b.to_string())],
        }
    }
}

/// Parses one JSON value for `def` (`null` clears and is `None`). `field` is the error path.
pub fn parse_value(field: &str, def: &FieldDef, v: &Value) -> Result<Option<FieldValue>, FieldError> {
    let wrong = || FieldError::new(field, "invalid_type").with("expected", def.field_type.as_str());
    let option = |s: &str| {
        if def.options.iter().any(|o| o == s) {
            Ok(s.to_owned())
        } else {
            Err(FieldError::new(field, "invalid_option").with("allowed", def.options.join(", ")))
        }
    };
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(match def.field_type {
        FieldType::Text => {
            let s = v.as_str().ok_or_else(wrong)?.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if s.chars().count() > MAX_TEXT {
                return Err(FieldError::new(field, "length").with("min", 1).with("max", MAX_TEXT));
            }
            FieldValue::Text(s.to_owned())
        }
        FieldType::Number => {
            let n = v.as_f64().filter(|n| n.is_finite()).ok_or_else(wrong)?;
            FieldValue::Number(n)
        }
        FieldType::Date => {
            let s = v.as_str().ok_or_else(wrong)?;
            FieldValue::Date(
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| FieldError::new(field, "invalid_date"))?,
            )
        }
        FieldType::Select => FieldValue::Select(option(v.as_str().ok_or_else(wrong)?)?),
        FieldType::MultiSelect => {
            let items = v.as_array().ok_or_else(wrong)?;
            let mut out: Vec<String> = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                let s = it.as_str().ok_or_else(|| FieldError::new(format!("{field}/{i}"), "invalid_type"))?;
                let s = option(s).map_err(|e| FieldError { field: format!("{field}/{i}"), ..e })?;
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            if out.is_empty() {
                return Ok(None);
            }
            // Stored in the definition's order, so equal selections compare equal.
            out.sort_by_key(|s| def.options.iter().position(|o| o == s));
            FieldValue::MultiSelect(out)
        }
        FieldType::Bool => FieldValue::Bool(v.as_bool().ok_or_else(wrong)?),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(ty: FieldType, options: &[&str]) -> FieldDef {
        FieldDef {
            key: "k".into(),
            field_type: ty,
            options: options.iter().map(|s| s.to_string()).collect(),
            required: false,
        }
    }

    #[test]
    fn keys_are_snake_case_identifiers() {
        assert!(parse_key("/key", "house_type2").is_ok());
        for bad in ["", "2x", "Has Space", "a-b", "大", &"a".repeat(65)] {
            assert_eq!(parse_key("/key", bad).unwrap_err().code, "invalid_key", "{bad}");
        }
    }

    #[test]
    fn options_only_for_selects_and_distinct() {
        assert!(parse_options("/options", FieldType::Select, &["a".into(), "b".into()]).is_ok());
        assert!(parse_options("/options", FieldType::Select, &[]).is_err());
        let e = parse_options("/options", FieldType::MultiSelect, &["a".into(), "a".into()]).unwrap_err();
        assert_eq!(e.0[0].field, "/options/1");
        assert_eq!(e.0[0].code, "duplicate");
        assert!(parse_options("/options", FieldType::Text, &["a".into()]).is_err());
    }

    #[test]
    fn values_are_checked_against_the_type() {
        let t = def(FieldType::Number, &[]);
        assert_eq!(parse_value("/f", &t, &json!(120.5)).unwrap(), Some(FieldValue::Number(120.5)));
        assert_eq!(parse_value("/f", &t, &json!("12")).unwrap_err().code, "invalid_type");
        let d = def(FieldType::Date, &[]);
        assert_eq!(parse_value("/f", &d, &json!("2026-02-30")).unwrap_err().code, "invalid_date");
        assert_eq!(
            parse_value("/f", &d, &json!("2026-02-03")).unwrap().unwrap().index_values(),
            vec![IndexValue::Text("2026-02-03".into())]
        );
        let s = def(FieldType::Select, &["east", "west"]);
        assert_eq!(parse_value("/f", &s, &json!("north")).unwrap_err().code, "invalid_option");
        let m = def(FieldType::MultiSelect, &["a", "b", "c"]);
        let v = parse_value("/f", &m, &json!(["c", "a", "c"])).unwrap().unwrap();
        assert_eq!(v.to_json(), json!(["a", "c"]));
        assert_eq!(v.index_values().len(), 2);
        assert_eq!(parse_value("/f", &m, &json!(["a", "x"])).unwrap_err().field, "/f/1");
        assert_eq!(parse_value("/f", &m, &json!([])).unwrap(), None);
        assert_eq!(parse_value("/f", &def(FieldType::Text, &[]), &json!("  ")).unwrap(), None);
        assert_eq!(parse_value("/f", &def(FieldType::Bool, &[]), &json!(null)).unwrap(), None);
        assert_eq!(parse_value("/f", &def(FieldType::Bool, &[]), &json!(1)).unwrap_err().code, "invalid_type");
    }
}
