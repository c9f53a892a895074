//! Evaluating rules on one customer's facts: whether each condition holds, and the value it
//! looked at (what "why is this customer in the segment" shows).

use super::{CustomTest, DateField, Rules, SetOp, TagOp, Test, TextField};
use crate::platform::custom_fields::IndexValue;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

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
