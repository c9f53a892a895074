//! Parsing a rule set: every condition's field, operator and value checked against what the
//! field allows, each error at its JSON pointer.

use super::{Condition, CustomTest, DateField, MAX_CONDITIONS, Rules, SetOp, TagOp, Test, TextField};
use crate::platform::custom_fields::{FieldDef, FieldType, IndexValue, parse_value};
use crate::{FieldError, FieldErrors};
use chrono::NaiveDate;
use serde_json::{Value, json};
use uuid::Uuid;

/// Parses a rule set at path `at` (`/rules`). `custom` looks up a custom field the caller may use.
pub fn parse_rules(at: &str, v: &Value, custom: impl Fn(&str) -> Option<FieldDef>) -> Result<Rules, FieldErrors> {
    let mut errs = FieldErrors::default();
    let Some(obj) = v.as_object() else {
        return Err(FieldError::new(at, "invalid_type").with("expected", "object").into());
    };
    for k in obj.keys().filter(|k| !["match", "conditions"].contains(&k.as_str())) {
        errs.push(FieldError::new(format!("{at}/{k}"), "unknown_field"));
    }
    let all = match obj.get("match").and_then(Value::as_str).unwrap_or("all") {
        "all" => true,
        "any" => false,
        _ => {
            errs.push(FieldError::new(format!("{at}/match"), "invalid_value").with("allowed", "all, any"));
            true
        }
    };
    let mut conditions = Vec::new();
    match obj.get("conditions").and_then(Value::as_array) {
        None => errs.push(FieldError::new(format!("{at}/conditions"), "required")),
        Some(list) if list.is_empty() || list.len() > MAX_CONDITIONS => {
            errs.push(FieldError::new(format!("{at}/conditions"), "range").with("min", 1).with("max", MAX_CONDITIONS))
        }
        Some(list) => {
            for (i, c) in list.iter().enumerate() {
                match parse_condition(&format!("{at}/conditions/{i}"), c, &custom) {
                    Ok(c) => conditions.push(c),
                    Err(e) => errs.0.extend(e.0),
                }
            }
        }
    }
    errs.into_result().map(|_| Rules { all, conditions })
}

fn parse_condition(at: &str, v: &Value, custom: &impl Fn(&str) -> Option<FieldDef>) -> Result<Condition, FieldErrors> {
    let Some(obj) = v.as_object() else {
        return Err(FieldError::new(at, "invalid_type").with("expected", "object").into());
    };
    let mut errs = FieldErrors::default();
    for k in obj.keys().filter(|k| !["field", "op", "value"].contains(&k.as_str())) {
        errs.push(FieldError::new(format!("{at}/{k}"), "unknown_field"));
    }
    let field = obj.get("field").and_then(Value::as_str);
    let op = obj.get("op").and_then(Value::as_str);
    if field.is_none() {
        errs.push(FieldError::new(format!("{at}/field"), "required"));
    }
    if op.is_none() {
        errs.push(FieldError::new(format!("{at}/op"), "required"));
    }
    let (Some(field), Some(op)) = (field, op) else {
        return Err(errs);
    };
    let value = obj.get("value").cloned().unwrap_or(Value::Null);
    let p = Parts { at, op, value: &value };
    let test = if let Some((_, tf)) = TextField::ALL.iter().find(|(s, _)| *s == field) {
        p.text(*tf)
    } else if let Some(key) = field.strip_prefix("custom.") {
        match custom(key) {
            Some(def) => p.custom(key, &def),
            None => Err(FieldError::new(format!("{at}/field"), "unknown_field").into()),
        }
    } else {
        match field {
            "owner_id" => p.owner(),
            "tags" => p.tags(),
            "birthday" => p.date(DateField::Birthday),
            "created_at" => p.date(DateField::CreatedAt),
            "last_interaction_days" => p.days(),
            _ => Err(FieldError::new(format!("{at}/field"), "unknown_field").into()),
        }
    };
    match test {
        Ok(test) => {
            errs.into_result()?;
            Ok(Condition { field: field.to_owned(), op: op.to_owned(), value, test })
        }
        Err(e) => {
            errs.0.extend(e.0);
            Err(errs)
        }
    }
}

struct Parts<'a> {
    at: &'a str,
    op: &'a str,
    value: &'a Value,
}

impl Parts<'_> {
    fn path(&self) -> String {
        format!("{}/value", self.at)
    }

    fn bad_op(&self, allowed: &str) -> FieldErrors {
        FieldError::new(format!("{}/op", self.at), "op_not_allowed").with("allowed", allowed).into()
    }

    /// `value` as a list of strings (a single string counts as a list of one when `single`).
    fn strings(&self, single: bool) -> Result<Vec<String>, FieldErrors> {
        let path = self.path();
        match self.value {
            Value::String(s) if single => Ok(vec![s.clone()]),
            Value::Array(a) if !single && !a.is_empty() && a.len() <= 1000 => {
                let mut errs = FieldErrors::default();
                let mut out = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    match x.as_str() {
                        Some(s) => out.push(s.to_owned()),
                        None => errs.push(FieldError::new(format!("{path}/{i}"), "invalid_type")),
                    }
                }
                errs.into_result().map(|_| out)
            }
            Value::Array(_) if !single => Err(FieldError::new(path, "range").with("min", 1).with("max", 1000).into()),
            _ => Err(FieldError::new(path, "invalid_type")
                .with("expected", if single { "string" } else { "array" })
                .into()),
        }
    }

    fn no_value(&self) -> Result<(), FieldErrors> {
        if self.value.is_null() { Ok(()) } else { Err(FieldError::new(self.path(), "not_allowed").into()) }
    }

    fn set_op(
        &self,
        check: impl Fn(&str, &str) -> Result<(), FieldError>,
    ) -> Result<(SetOp, Vec<String>), FieldErrors> {
        let (op, values) = match self.op {
            "eq" => (SetOp::In, self.strings(true)?),
            "ne" => (SetOp::NotIn, self.strings(true)?),
            "in" => (SetOp::In, self.strings(false)?),
            "not_in" => (SetOp::NotIn, self.strings(false)?),
            "is_set" => (SetOp::IsSet, self.no_value().map(|_| Vec::new())?),
            "is_not_set" => (SetOp::IsNotSet, self.no_value().map(|_| Vec::new())?),
            _ => return Err(self.bad_op("eq, ne, in, not_in, is_set, is_not_set")),
        };
        let mut errs = FieldErrors::default();
        let single = matches!(self.op, "eq" | "ne");
        for (i, v) in values.iter().enumerate() {
            let path = if single { self.path() } else { format!("{}/{i}", self.path()) };
            errs.check(check(&path, v));
        }
        errs.into_result().map(|_| (op, values))
    }

    fn text(&self, field: TextField) -> Result<Test, FieldErrors> {
        let (op, values) = self.set_op(|p, v| field.check(p, v))?;
        Ok(Test::Text { field, op, values })
    }

    fn owner(&self) -> Result<Test, FieldErrors> {
        let (op, values) = self.set_op(|p, v| uuid_of(p, v).map(|_| ()))?;
        Ok(Test::Owner { op, ids: values.iter().filter_map(|v| Uuid::parse_str(v).ok()).collect() })
    }

    fn tags(&self) -> Result<Test, FieldErrors> {
        let op = match self.op {
            "has_any" => TagOp::Any,
            "has_all" => TagOp::All,
            "has_none" => TagOp::None,
            _ => return Err(self.bad_op("has_any, has_all, has_none")),
        };
        let values = self.strings(false)?;
        let mut errs = FieldErrors::default();
        let ids =
            values.iter().enumerate().filter_map(|(i, v)| errs.check(uuid_of(&format!("{}/{i}", self.path()), v)));
        let ids: Vec<Uuid> = ids.collect();
        errs.into_result()?;
        Ok(Test::Tags { op, ids })
    }

    fn dates(&self) -> Result<(Option<NaiveDate>, Option<NaiveDate>), FieldErrors> {
        let one = |p: &str, v: &Value| {
            v.as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .ok_or_else(|| FieldError::new(p, "invalid_date"))
        };
        let path = self.path();
        match self.op {
            "between" => {
                let pair = self
                    .value
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| FieldError::new(&path, "invalid_type").with("expected", "[from, to]"))?;
                let mut errs = FieldErrors::default();
                let lo = errs.check(one(&format!("{path}/0"), &pair[0]));
                let hi = errs.check(one(&format!("{path}/1"), &pair[1]));
                errs.into_result()?;
                Ok((lo, hi))
            }
            // Strictly after / before the given day.
            "after" => Ok((Some(one(&path, self.value)?.succ_opt().unwrap_or(NaiveDate::MAX)), None)),
            "before" => Ok((None, Some(one(&path, self.value)?.pred_opt().unwrap_or(NaiveDate::MIN)))),
            _ => Err(self.bad_op("between, after, before")),
        }
    }

    fn date(&self, field: DateField) -> Result<Test, FieldErrors> {
        let (min, max) = self.dates()?;
        Ok(Test::Date { field, min, max })
    }

    fn days(&self) -> Result<Test, FieldErrors> {
        let n = self
            .value
            .as_u64()
            .filter(|n| *n <= 36_500)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| FieldError::new(self.path(), "range").with("min", 0).with("max", 36_500))?;
        match self.op {
            "gte" => Ok(Test::InactiveDays(n)),
            "lte" => Ok(Test::ActiveDays(n)),
            _ => Err(self.bad_op("gte, lte")),
        }
    }

    fn custom(&self, key: &str, def: &FieldDef) -> Result<Test, FieldErrors> {
        let path = self.path();
        // One value of the field, checked against the definition, as its index text or number.
        let single = |p: &str, v: &Value| -> Result<IndexValue, FieldError> {
            let v = if def.field_type == FieldType::MultiSelect { json!([v]) } else { v.clone() };
            parse_value(p, def, &v)?
                .and_then(|x| x.index_values().into_iter().next())
                .ok_or_else(|| FieldError::new(p, "required"))
        };
        let text = |i: IndexValue| match i {
            IndexValue::Text(t) => t,
            IndexValue::Number(n) => n.to_string(),
        };
        let set = match self.op {
            "is_set" => Some(true),
            "is_not_set" => Some(false),
            _ => None,
        };
        if let Some(s) = set {
            self.no_value()?;
            return Ok(Test::Custom { key: key.to_owned(), test: CustomTest::Set(s) });
        }
        let list = |negate: bool| -> Result<CustomTest, FieldErrors> {
            let arr = self
                .value
                .as_array()
                .filter(|a| !a.is_empty() && a.len() <= 1000)
                .ok_or_else(|| FieldError::new(&path, "invalid_type").with("expected", "array"))?;
            let mut errs = FieldErrors::default();
            let values: Vec<String> = arr
                .iter()
                .enumerate()
                .filter_map(|(i, v)| errs.check(single(&format!("{path}/{i}"), v)))
                .map(text)
                .collect();
            errs.into_result()?;
            Ok(CustomTest::TextIn { values, negate })
        };
        let test = match def.field_type {
            FieldType::Text | FieldType::Select => match self.op {
                "eq" | "ne" => {
                    CustomTest::TextIn { values: vec![text(single(&path, self.value)?)], negate: self.op == "ne" }
                }
                "in" => list(false)?,
                "not_in" => list(true)?,
                _ => return Err(self.bad_op("eq, ne, in, not_in, is_set, is_not_set")),
            },
            FieldType::MultiSelect => match self.op {
                "has_any" => list(false)?,
                "has_none" => list(true)?,
                _ => return Err(self.bad_op("has_any, has_none, is_set, is_not_set")),
            },
            FieldType::Bool => match self.op {
                "eq" => CustomTest::TextIn { values: vec![text(single(&path, self.value)?)], negate: false },
                _ => return Err(self.bad_op("eq, is_set, is_not_set")),
            },
            FieldType::Number | FieldType::Date => {
                let (lo, hi) = match self.op {
                    "eq" => {
                        let v = single(&path, self.value)?;
                        (Some(v.clone()), Some(v))
                    }
                    "gte" => (Some(single(&path, self.value)?), None),
                    "lte" => (None, Some(single(&path, self.value)?)),
                    "between" => {
                        let pair = self
                            .value
                            .as_array()
                            .filter(|a| a.len() == 2)
                            .ok_or_else(|| FieldError::new(&path, "invalid_type").with("expected", "[from, to]"))?;
                        let mut errs = FieldErrors::default();
                        let lo = errs.check(single(&format!("{path}/0"), &pair[0]));
                        let hi = errs.check(single(&format!("{path}/1"), &pair[1]));
                        errs.into_result()?;
                        (lo, hi)
                    }
                    _ => return Err(self.bad_op("eq, gte, lte, between, is_set, is_not_set")),
                };
                if def.field_type == FieldType::Number {
                    let num = |v: Option<IndexValue>| match v {
                        Some(IndexValue::Number(n)) => Some(n),
                        _ => None,
                    };
                    CustomTest::NumberRange { min: num(lo), max: num(hi) }
                } else {
                    let date = |v: Option<IndexValue>| match v {
                        Some(IndexValue::Text(t)) => NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok(),
                        _ => None,
                    };
                    CustomTest::DateRange { min: date(lo), max: date(hi) }
                }
            }
        };
        Ok(Test::Custom { key: key.to_owned(), test })
    }
}

fn uuid_of(field: &str, v: &str) -> Result<Uuid, FieldError> {
    Uuid::parse_str(v).map_err(|_| FieldError::new(field, "invalid_id"))
}
