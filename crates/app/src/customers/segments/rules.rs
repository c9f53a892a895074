//! Segment rules against the database: parsed with the tenant's custom fields and tags,
//! compiled to the store's criteria (the SQL side of the domain's evaluator), and the facts the
//! evaluator explains a customer by.

use crate::codes::Code;
use crate::platform::custom_fields::Definitions;
use crate::{Access, AppError};
use chrono::{DateTime, Duration, Utc};
use crm_domain::customers::segments::{self as rules, CustomTest, Facts, Rules, SegmentKind, Test, TextField};
use crm_domain::ids::TagId;
use crm_domain::platform::custom_fields::ObjectType;
use crm_domain::{FieldError, FieldErrors};
use crm_store::ConnectionTrait;
use crm_store::customers::criteria::Criterion;
use crm_store::customers::records::{Customer, CustomerFilter};
use crm_store::customers::segments::Segment;
use crm_store::customers::tags;
use crm_store::platform::custom_fields::ValueCondition;
use serde_json::Value;
use uuid::Uuid;

/// Parses rules against the custom fields the caller may use, and checks that tags exist.
pub(super) async fn parse(c: &impl ConnectionTrait, who: &Access, v: &Value) -> Result<(Rules, Definitions), AppError> {
    let defs = Definitions::load(c, who.tenant_id, ObjectType::Customer).await?;
    let parsed = rules::parse_rules("/rules", v, |k| defs.visible_field(who, k).map(|(_, d)| d))?;
    let mut errs = FieldErrors::default();
    for (i, cond) in parsed.conditions.iter().enumerate() {
        if let Test::Tags { ids, .. } = &cond.test {
            for (j, t) in ids.iter().enumerate() {
                if tags::find(c, who.tenant_id, TagId(*t)).await?.is_none() {
                    errs.push(FieldError::new(format!("/rules/conditions/{i}/value/{j}"), "not_found"));
                }
            }
        }
    }
    errs.into_result()?;
    Ok((parsed, defs))
}

/// The rules as the store's criteria (the SQL side of [`rules::evaluate`]).
pub(super) fn compile(
    who: &Access,
    defs: &Definitions,
    r: &Rules,
    now: DateTime<Utc>,
) -> Result<CustomerFilter, AppError> {
    let mut out = Vec::with_capacity(r.conditions.len());
    for c in &r.conditions {
        out.push(match &c.test {
            Test::Text { field, op, values } => Criterion::Text { column: *field, op: *op, values: values.clone() },
            Test::Owner { op, ids } => Criterion::Owner { op: *op, ids: ids.clone() },
            Test::Tags { op, ids } => Criterion::Tags { op: *op, ids: ids.clone() },
            Test::Date { field, min, max } => Criterion::Date { column: *field, min: *min, max: *max },
            Test::InactiveDays(n) => Criterion::InactiveSince(now - Duration::days(i64::from(*n))),
            Test::ActiveDays(n) => Criterion::ActiveSince(now - Duration::days(i64::from(*n))),
            Test::Custom { key, test } => {
                let (field, _) = defs
                    .visible_field(who, key)
                    .ok_or(AppError::Conflict { code: Code::SegmentRulesStale, field: Some("/rules".to_owned()) })?;
                let (cond, negate) = match test {
                    CustomTest::TextIn { values, negate } => (ValueCondition::TextIn(values.clone()), *negate),
                    CustomTest::NumberRange { min, max } => {
                        (ValueCondition::NumberRange { min: *min, max: *max }, false)
                    }
                    CustomTest::DateRange { min, max } => (
                        ValueCondition::TextRange {
                            min: min.map(|d| d.format("%Y-%m-%d").to_string()),
                            max: max.map(|d| d.format("%Y-%m-%d").to_string()),
                        },
                        false,
                    ),
                    CustomTest::Set(s) => (ValueCondition::Any, !*s),
                };
                Criterion::Custom { field, cond, negate }
            }
        });
    }
    Ok(CustomerFilter { criteria: out, match_any: !r.all, ..CustomerFilter::default() })
}

/// The members' filter of a stored segment (rules re-read against today's custom fields).
pub(super) async fn members_filter(
    c: &impl ConnectionTrait,
    who: &Access,
    seg: &Segment,
    now: DateTime<Utc>,
) -> Result<(CustomerFilter, Option<(Rules, Definitions)>), AppError> {
    if seg.kind == SegmentKind::Static {
        return Ok((
            CustomerFilter { criteria: vec![Criterion::InSegment(seg.id.0)], ..CustomerFilter::default() },
            None,
        ));
    }
    let raw: Value = seg.rules.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null);
    let stale = AppError::Conflict { code: Code::SegmentRulesStale, field: Some("/rules".to_owned()) };
    let (r, defs) = parse(c, who, &raw).await.map_err(|e| match e {
        AppError::Invalid(_) => stale,
        other => other,
    })?;
    let f = compile(who, &defs, &r, now)?;
    Ok((f, Some((r, defs))))
}

pub(super) fn facts(row: &Customer, tag_ids: Vec<Uuid>, defs: &Definitions, now: DateTime<Utc>) -> Facts {
    Facts {
        text: rules::text_facts([
            (TextField::Kind, Some(row.kind.as_str().to_owned())),
            (TextField::Grade, Some(row.grade.as_str().to_owned())),
            (TextField::Level, row.level.clone()),
            (TextField::Source, row.source.clone()),
            (TextField::Industry, row.industry.clone()),
            (TextField::Gender, row.gender.map(|g| g.as_str().to_owned())),
            (TextField::Province, row.province.clone()),
            (TextField::City, row.city.clone()),
            (TextField::District, row.district.clone()),
            (TextField::Company, row.company.clone()),
        ]),
        owner_id: row.owner_id.map(|o| o.0),
        tag_ids,
        birthday: row.birthday,
        created_at: row.created_at,
        last_interaction_at: row.last_interaction_at,
        custom: defs.index_by_key(&row.custom_fields),
        now,
    }
}
