//! 客户分群: segment rules (`{match, conditions: [{field, op, value}]}`), their parsing with
//! JSON-pointer error paths, and the evaluator that says why a customer is (not) in a segment.
//! The store compiles the same rules to SQL; integration tests prove the two agree.

use crate::customers::{CustomerKind, Gender, LifecycleGrade};
use crate::macros::str_enum;
use crate::platform::custom_fields::{FieldDef, FieldType, IndexValue, parse_value};
use crate::{FieldError, FieldErrors};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The most conditions one rule set may have.
pub const MAX_CONDITIONS: usize = 50;

str_enum!(
    /// A segment is a static list or defined by rules.
    SegmentKind { Static => "static", Rule => "rule" }
);

str_enum!(
    /// How a rule set's conditions combine: every one must hold, or any one.
    MatchMode { All => "all", Any => "any" }
);

/// The plain text fields of a customer a rule can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TextField {
    Kind,
    Grade,
    Level,
    Source,
    Industry,
    Gender,
    Province,
    City,
    District,
    Company,
}

impl TextField {
    const ALL: [(&'static str, TextField); 10] = [
        ("kind", TextField::Kind),
        ("grade", TextField::Grade),
        ("level", TextField::Level),
        ("source", TextField::Source),
        ("industry", TextField::Industry),
        ("gender", TextField::Gender),
        ("province", TextField::Province),
        ("city", TextField::City),
        ("district", TextField::District),
        ("company", TextField::Company),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, f)| *f == self).map_or("kind", |(s, _)| s)
    }

    fn check(self, field: &str, v: &str) -> Result<(), FieldError> {
        match self {
            TextField::Kind => CustomerKind::parse(field, v).map(|_| ()),
            TextField::Grade => LifecycleGrade::parse(field, v).map(|_| ()),
            TextField::Gender => Gender::parse(field, v).map(|_| ()),
            _ if v.is_empty() => Err(FieldError::new(field, "required")),
            _ => Ok(()),
        }
    }
}

/// How a set of values is matched (a missing value is none of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    In,
    NotIn,
    IsSet,
    IsNotSet,
}

/// How tags are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOp {
    Any,
    All,
    None,
}

/// The date fields a rule can range over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    Birthday,
    CreatedAt,
}

/// A test of a custom field's index values.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomTest {
    /// Some value is one of `values` (`negate`: none is).
    TextIn { values: Vec<String>, negate: bool },
    /// Some number within the inclusive range.
    NumberRange { min: Option<f64>, max: Option<f64> },
    /// Some date (`YYYY-MM-DD`) within the inclusive range.
    DateRange { min: Option<NaiveDate>, max: Option<NaiveDate> },
    /// The field has a value (`false`: has none).
    Set(bool),
}

/// What one condition tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Text {
        field: TextField,
        op: SetOp,
        values: Vec<String>,
    },
    /// `IsNotSet`: in the public pool.
    Owner {
        op: SetOp,
        ids: Vec<Uuid>,
    },
    Tags {
        op: TagOp,
        ids: Vec<Uuid>,
    },
    /// Inclusive range of dates (`created_at` by its UTC date).
    Date {
        field: DateField,
        min: Option<NaiveDate>,
        max: Option<NaiveDate>,
    },
    /// No interaction for at least `days` days (never contacted included).
    InactiveDays(u32),
    /// An interaction within `days` days.
    ActiveDays(u32),
    Custom {
        key: String,
        test: CustomTest,
    },
}

/// One parsed condition, with its source form (for display and storage).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub op: String,
    pub value: Value,
    pub test: Test,
}

/// A parsed rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// `true`: every condition must hold; `false`: any one.
    pub all: bool,
    pub conditions: Vec<Condition>,
}

impl Rules {
    /// The normalized JSON form (what is stored and shown).
    pub fn to_json(&self) -> Value {
        let conds: Vec<Value> =
            self.conditions.iter().map(|c| json!({"field": c.field, "op": c.op, "value": c.value})).collect();
        json!({"match": if self.all { "all" } else { "any" }, "conditions": conds})
    }
}

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

/// What the evaluator knows about one customer.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub text: BTreeMap<TextField, Option<String>>,
    pub owner_id: Option<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub birthday: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// Custom field index values by key.
    pub custom: BTreeMap<String, Vec<IndexValue>>,
    pub now: DateTime<Utc>,
}

/// Whether one condition held, and the value it looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub field: String,
    pub op: String,
    pub value: Value,
    pub matched: bool,
    pub actual: Value,
}

/// Why a customer is or is not matched by `rules`.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub matched: bool,
    pub conditions: Vec<Outcome>,
}

fn in_range<T: PartialOrd>(v: &T, min: &Option<T>, max: &Option<T>) -> bool {
    min.as_ref().is_none_or(|m| v >= m) && max.as_ref().is_none_or(|m| v <= m)
}

fn set_matches<T: PartialEq>(op: SetOp, v: Option<&T>, values: &[T]) -> bool {
    match op {
        SetOp::In => v.is_some_and(|v| values.contains(v)),
        SetOp::NotIn => v.is_none_or(|v| !values.contains(v)),
        SetOp::IsSet => v.is_some(),
        SetOp::IsNotSet => v.is_none(),
    }
}

fn index_json(v: &[IndexValue]) -> Value {
    Value::Array(
        v.iter()
            .map(|i| match i {
                IndexValue::Text(t) => Value::String(t.clone()),
                IndexValue::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            })
            .collect(),
    )
}

/// Evaluates one test against the facts: `(matched, actual value)`.
pub fn evaluate(test: &Test, f: &Facts) -> (bool, Value) {
    match test {
        Test::Text { field, op, values } => {
            let v = f.text.get(field).cloned().flatten();
            (set_matches(*op, v.as_ref(), values), json!(v))
        }
        Test::Owner { op, ids } => (set_matches(*op, f.owner_id.as_ref(), ids), json!(f.owner_id)),
        Test::Tags { op, ids } => {
            let has = |t: &Uuid| f.tag_ids.contains(t);
            let m = match op {
                TagOp::Any => ids.iter().any(has),
                TagOp::All => ids.iter().all(has),
                TagOp::None => !ids.iter().any(has),
            };
            (m, json!(f.tag_ids))
        }
        Test::Date { field: DateField::Birthday, min, max } => {
            (f.birthday.is_some_and(|b| in_range(&b, min, max)), json!(f.birthday))
        }
        Test::Date { field: DateField::CreatedAt, min, max } => {
            (in_range(&f.created_at.date_naive(), min, max), json!(f.created_at.date_naive()))
        }
        Test::InactiveDays(n) => {
            let cutoff = f.now - Duration::days(i64::from(*n));
            (f.last_interaction_at.is_none_or(|t| t < cutoff), days_since(f))
        }
        Test::ActiveDays(n) => {
            let cutoff = f.now - Duration::days(i64::from(*n));
            (f.last_interaction_at.is_some_and(|t| t >= cutoff), days_since(f))
        }
        Test::Custom { key, test } => {
            let vals = f.custom.get(key).map(Vec::as_slice).unwrap_or_default();
            let texts = || vals.iter().filter_map(|v| if let IndexValue::Text(t) = v { Some(t) } else { None });
            let m = match test {
                CustomTest::TextIn { values, negate } => texts().any(|t| values.contains(t)) != *negate,
                CustomTest::NumberRange { min, max } => {
                    vals.iter().any(|v| matches!(v, IndexValue::Number(n) if in_range(n, min, max)))
                }
                CustomTest::DateRange { min, max } => {
                    let (lo, hi) = (min.map(|d| d.to_string()), max.map(|d| d.to_string()));
                    texts().any(|t| in_range(t, &lo, &hi))
                }
                CustomTest::Set(s) => vals.is_empty() != *s,
            };
            let actual = if vals.is_empty() { Value::Null } else { index_json(vals) };
            (m, actual)
        }
    }
}

fn days_since(f: &Facts) -> Value {
    f.last_interaction_at.map_or(Value::Null, |t| json!((f.now - t).num_days()))
}

/// Explains every condition of `rules` for one customer.
pub fn explain(rules: &Rules, f: &Facts) -> Explanation {
    let conditions: Vec<Outcome> = rules
        .conditions
        .iter()
        .map(|c| {
            let (matched, actual) = evaluate(&c.test, f);
            Outcome { field: c.field.clone(), op: c.op.clone(), value: c.value.clone(), matched, actual }
        })
        .collect();
    let matched = if rules.all { conditions.iter().all(|o| o.matched) } else { conditions.iter().any(|o| o.matched) };
    Explanation { matched, conditions }
}

/// The facts' text fields from `(field, value)` pairs.
pub fn text_facts(pairs: impl IntoIterator<Item = (TextField, Option<String>)>) -> BTreeMap<TextField, Option<String>> {
    pairs.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(key: &str) -> Option<FieldDef> {
        let (ty, options) = match key {
            "budget" => (FieldType::Number, vec![]),
            "hobbies" => (FieldType::MultiSelect, vec!["golf".into(), "tea".into()]),
            "vip" => (FieldType::Bool, vec![]),
            "since" => (FieldType::Date, vec![]),
            "note" => (FieldType::Text, vec![]),
            _ => return None,
        };
        Some(FieldDef { key: key.into(), field_type: ty, options, required: false })
    }

    fn parse(v: Value) -> Result<Rules, FieldErrors> {
        parse_rules("/rules", &v, defs)
    }

    fn facts() -> Facts {
        let now = Utc::now();
        Facts {
            text: text_facts([(TextField::Grade, Some("deal".into())), (TextField::City, None)]),
            created_at: now - Duration::days(3),
            now,
            ..Facts::default()
        }
    }

    #[test]
    fn parses_every_family() {
        let tag = Uuid::now_v7().to_string();
        let r = parse(json!({"match": "any", "conditions": [
            {"field": "grade", "op": "in", "value": ["deal", "loyal"]},
            {"field": "owner_id", "op": "is_not_set"},
            {"field": "tags", "op": "has_all", "value": [tag]},
            {"field": "birthday", "op": "between", "value": ["1980-01-01", "1990-12-31"]},
            {"field": "last_interaction_days", "op": "gte", "value": 30},
            {"field": "custom.budget", "op": "between", "value": [10, 20]},
            {"field": "custom.hobbies", "op": "has_none", "value": ["golf"]},
            {"field": "custom.vip", "op": "eq", "value": true},
            {"field": "custom.since", "op": "gte", "value": "2026-01-01"},
        ]}));
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert!(!r.all);
        assert_eq!(r.conditions.len(), 9);
        assert_eq!(r.conditions[4].test, Test::InactiveDays(30));
        assert_eq!(
            r.conditions[5].test,
            Test::Custom { key: "budget".into(), test: CustomTest::NumberRange { min: Some(10.0), max: Some(20.0) } }
        );
    }

    #[test]
    fn errors_name_the_path() {
        let e = parse(json!({"conditions": [
            {"field": "grade", "op": "eq", "value": "deal"},
            {"field": "nope", "op": "eq", "value": "x"},
            {"field": "tags", "op": "eq", "value": ["x"]},
            {"field": "grade", "op": "eq", "value": "vip"},
            {"field": "custom.budget", "op": "has_any", "value": [1]},
            {"field": "birthday", "op": "after", "value": "2026-13-01"},
        ]}))
        .err()
        .unwrap_or_default();
        let got: Vec<(&str, &str)> = e.0.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("/rules/conditions/1/field", "unknown_field"),
                ("/rules/conditions/2/op", "op_not_allowed"),
                ("/rules/conditions/3/value", "invalid_value"),
                ("/rules/conditions/4/op", "op_not_allowed"),
                ("/rules/conditions/5/value", "invalid_date"),
            ]
        );
        let e = parse(json!({"match": "some", "conditions": []})).err().unwrap_or_default();
        assert_eq!(e.0.len(), 2);
    }

    #[test]
    fn explains_each_condition() {
        let r = parse(json!({"conditions": [
            {"field": "grade", "op": "eq", "value": "deal"},
            {"field": "city", "op": "is_set"},
            {"field": "last_interaction_days", "op": "gte", "value": 10},
            {"field": "created_at", "op": "after", "value": "2000-01-01"},
            {"field": "custom.note", "op": "ne", "value": "x"},
        ]}))
        .unwrap_or_else(|e| panic!("{e}"));
        let x = explain(&r, &facts());
        let m: Vec<bool> = x.conditions.iter().map(|c| c.matched).collect();
        assert_eq!(m, vec![true, false, true, true, true]);
        assert!(!x.matched);
        assert_eq!(x.conditions[0].actual, json!("deal"));
    }

    #[test]
    fn custom_values_and_interaction_age() {
        let mut f = facts();
        f.custom.insert("hobbies".into(), vec![IndexValue::Text("tea".into())]);
        f.custom.insert("budget".into(), vec![IndexValue::Number(15.0)]);
        f.last_interaction_at = Some(f.now - Duration::days(2));
        let ok = |c: Value| {
            let r = parse(json!({"conditions": [c]})).unwrap_or_else(|e| panic!("{e}"));
            explain(&r, &f).matched
        };
        assert!(ok(json!({"field": "custom.hobbies", "op": "has_any", "value": ["tea", "golf"]})));
        assert!(!ok(json!({"field": "custom.hobbies", "op": "has_none", "value": ["tea"]})));
        assert!(ok(json!({"field": "custom.budget", "op": "lte", "value": 15})));
        assert!(!ok(json!({"field": "custom.budget", "op": "gte", "value": 16})));
        assert!(ok(json!({"field": "custom.vip", "op": "is_not_set"})));
        assert!(ok(json!({"field": "last_interaction_days", "op": "lte", "value": 3})));
        assert!(!ok(json!({"field": "last_interaction_days", "op": "gte", "value": 3})));
        assert!(ok(json!({"field": "owner_id", "op": "is_not_set"})));
    }
}
