//! 客户分群: segment rules (`{match, conditions: [{field, op, value}]}`), their parsing with
//! JSON-pointer error paths (`parse`), and the evaluator that says why a customer is (not) in a
//! segment (`evaluate`). The store compiles the same rules to SQL; integration tests prove the
//! two agree.

mod evaluate;
mod parse;

pub use evaluate::{Explanation, Facts, Outcome, evaluate, explain, text_facts};
pub use parse::parse_rules;

use crate::FieldError;
use crate::customers::{CustomerKind, Gender, LifecycleGrade};
use crate::macros::str_enum;
use chrono::NaiveDate;
use serde_json::{Value, json};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldErrors;
    use crate::platform::custom_fields::{FieldDef, FieldType, IndexValue};
    use chrono::{Duration, Utc};

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
