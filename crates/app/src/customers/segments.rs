//! Segments: static lists and rule-based segments (create, list, change, delete, audited), their
//! count and members within the caller's data scope, static membership, and why a customer is in one.

use super::records::views;
use super::view::CustomerView;
use crate::paging::{Items, Page, PageRequest};
use crate::platform::audit;
use crate::platform::custom_fields::Definitions;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Duration, Utc};
use crm_domain::customers::segments::{
    self as rules, CustomTest, Facts, MatchMode, Rules, SegmentKind, Test, TextField,
};
use crm_domain::ids::{CustomerId, SegmentId};
use crm_domain::platform::custom_fields::ObjectType;
use crm_domain::{FieldError, FieldErrors};
use crm_store::UniqueKey;
use crm_store::customers::criteria::Criterion;
use crm_store::customers::records::{self as customers, Customer, CustomerFilter};
use crm_store::customers::segments::{self as store, Segment};
use crm_store::customers::tags;
use crm_store::platform::custom_fields::ValueCondition;
use crm_store::{ConnectionTrait, StoreError};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "segment" };
const CUSTOMER_NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };
/// The most customers one add or remove call takes.
pub const MAX_MEMBER_BATCH: usize = 1000;

/// A segment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentView {
    pub id: SegmentId,
    pub name: String,
    pub kind: SegmentKind,
    pub description: Option<String>,
    /// The normalized rules of a rule-based segment.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rules: Option<Value>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Sent as the `ETag` header.
    #[serde(skip)]
    pub etag: String,
}

impl From<Segment> for SegmentView {
    fn from(r: Segment) -> Self {
        Self {
            id: r.id,
            etag: etag::of(r.updated_at),
            rules: r.rules.as_deref().and_then(|s| serde_json::from_str(s).ok()),
            name: r.name,
            kind: r.kind,
            description: r.description,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new segment, its fields valid.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSegment {
    /// Trimmed, 1 to 200 characters; unique in the tenant.
    pub name: String,
    pub description: Option<String>,
    pub members: Members,
}

/// What selects a segment's members.
#[derive(Debug, Clone, PartialEq)]
pub enum Members {
    /// A static list, changed by adding and removing customers.
    Static,
    /// Rules, as sent (the use case checks them against the tenant's custom fields and tags).
    Rules(Value),
}

/// A change of a segment (its kind never changes); absent fields stay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub rules: Option<Value>,
}

/// One condition's outcome for the customer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConditionOutcome {
    /// Position in `rules.conditions`.
    pub index: usize,
    pub field: String,
    pub op: String,
    /// The condition's value as given (a string, number, array or `null`).
    pub value: Value,
    pub matched: bool,
    /// The customer's value the condition looked at (days since the last interaction for
    /// `last_interaction_days`, tag ids for `tags`, the values of a custom field); any JSON, `null`
    /// when the customer has none.
    pub actual: Value,
}

/// Why a customer is (or is not) in a segment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentExplanation {
    pub segment_id: SegmentId,
    pub customer_id: CustomerId,
    pub kind: SegmentKind,
    /// Whether the customer is a member.
    pub member: bool,
    /// How the conditions combine (rule-based segments).
    #[serde(rename = "match")]
    pub match_mode: Option<MatchMode>,
    /// Each condition (empty for a static segment).
    pub conditions: Vec<ConditionOutcome>,
}

/// How many customers a membership change added or removed (ones already in, or not in, do not count).
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipChange {
    pub changed: u64,
}

fn name_taken(e: StoreError) -> AppError {
    if e.is_conflict_on(UniqueKey::SegmentName) {
        AppError::Conflict { code: "segment.name_taken", field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

/// Parses rules against the custom fields the caller may use, and checks that tags exist.
async fn parse_rules(c: &impl ConnectionTrait, who: &Access, v: &Value) -> Result<(Rules, Definitions), AppError> {
    let defs = Definitions::load(c, who.tenant_id, ObjectType::Customer).await?;
    let parsed = rules::parse_rules("/rules", v, |k| defs.visible_field(who, k).map(|(_, d)| d))?;
    let mut errs = FieldErrors::default();
    for (i, cond) in parsed.conditions.iter().enumerate() {
        if let Test::Tags { ids, .. } = &cond.test {
            for (j, t) in ids.iter().enumerate() {
                if tags::find(c, who.tenant_id, crm_domain::ids::TagId(*t)).await?.is_none() {
                    errs.push(FieldError::new(format!("/rules/conditions/{i}/value/{j}"), "not_found"));
                }
            }
        }
    }
    errs.into_result()?;
    Ok((parsed, defs))
}

/// The rules as the store's criteria (the SQL side of [`rules::evaluate`]).
fn compile(who: &Access, defs: &Definitions, r: &Rules, now: DateTime<Utc>) -> Result<CustomerFilter, AppError> {
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
                    .ok_or(AppError::Conflict { code: "segment.rules_stale", field: Some("/rules".to_owned()) })?;
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
async fn members_filter(
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
    let stale = AppError::Conflict { code: "segment.rules_stale", field: Some("/rules".to_owned()) };
    let (r, defs) = parse_rules(c, who, &raw).await.map_err(|e| match e {
        AppError::Invalid(_) => stale,
        other => other,
    })?;
    let f = compile(who, &defs, &r, now)?;
    Ok((f, Some((r, defs))))
}

fn facts(row: &Customer, tag_ids: Vec<Uuid>, defs: &Definitions, now: DateTime<Utc>) -> Facts {
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

fn audit_json(r: &Segment) -> Value {
    json!({"name": r.name, "kind": r.kind, "description": r.description,
        "rules": r.rules.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok())})
}

/// Parses a list of customer ids to add or remove: 1 to [`MAX_MEMBER_BATCH`], each visible to the caller.
async fn visible_customers(c: &impl ConnectionTrait, who: &Access, ids: &[CustomerId]) -> Result<(), AppError> {
    if ids.is_empty() || ids.len() > MAX_MEMBER_BATCH {
        return Err(FieldError::new("/customer_ids", "range").with("min", 1).with("max", MAX_MEMBER_BATCH).into());
    }
    let mut errs = FieldErrors::default();
    for (i, id) in ids.iter().enumerate() {
        let found = customers::find_scoped(c, who.tenant_id, &who.scope, *id).await?;
        if found.is_none_or(|r| r.deleted_at.is_some()) {
            errs.push(FieldError::new(format!("/customer_ids/{i}"), "not_found"));
        }
    }
    Ok(errs.into_result()?)
}

impl App {
    pub async fn create_segment(&self, who: &Access, input: NewSegment) -> Result<SegmentView, AppError> {
        who.require("segments:write")?;
        let db = self.store().conn();
        let (kind, rules) = match &input.members {
            Members::Static => (SegmentKind::Static, None),
            Members::Rules(v) => (SegmentKind::Rule, Some(parse_rules(db, who, v).await?.0.to_json().to_string())),
        };
        let now = Utc::now();
        let row = Segment {
            tenant_id: who.tenant_id,
            id: SegmentId::new(),
            name: input.name,
            kind,
            description: input.description,
            rules,
            created_by: who.actor.id(),
            created_at: now,
            updated_at: now,
        };
        let tx = self.store().begin_write().await?;
        let row = store::insert(&tx, row).await.map_err(name_taken)?;
        audit::record(&tx, who, "create", "segment", row.id.0, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from).map_err(name_taken)?;
        Ok(row.into())
    }

    /// The tenant's segments by name.
    pub async fn list_segments(&self, who: &Access) -> Result<Items<SegmentView>, AppError> {
        who.require("segments:read")?;
        let items = store::list(self.store().conn(), who.tenant_id).await?.into_iter().map(Into::into).collect();
        Ok(Items { items })
    }

    pub async fn get_segment(&self, who: &Access, id: SegmentId) -> Result<SegmentView, AppError> {
        who.require("segments:read")?;
        Ok(store::find(self.store().conn(), who.tenant_id, id).await?.ok_or(NOT_FOUND)?.into())
    }

    pub async fn update_segment(
        &self,
        who: &Access,
        id: SegmentId,
        patch: SegmentPatch,
        if_match: Option<&str>,
    ) -> Result<SegmentView, AppError> {
        who.require("segments:write")?;
        let tx = self.store().begin_write().await?;
        let before = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, before.updated_at)?;
        let mut after = before.clone();
        if let Some(n) = &patch.name {
            after.name.clone_from(n);
        }
        if let Some(d) = &patch.description {
            after.description.clone_from(d);
        }
        if let Some(v) = &patch.rules {
            if before.kind == SegmentKind::Static {
                return Err(FieldError::new("/rules", "not_allowed").into());
            }
            after.rules = Some(parse_rules(&tx, who, v).await?.0.to_json().to_string());
        }
        after.updated_at = Utc::now().max(before.updated_at + Duration::microseconds(1));
        let row = store::update(&tx, after).await.map_err(name_taken)?;
        audit::record(
            &tx,
            who,
            "update",
            "segment",
            id.0,
            json!({"before": audit_json(&before), "after": audit_json(&row)}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from).map_err(name_taken)?;
        Ok(row.into())
    }

    /// Deletes a segment (and the membership of a static one).
    pub async fn delete_segment(&self, who: &Access, id: SegmentId, if_match: Option<&str>) -> Result<(), AppError> {
        who.require("segments:write")?;
        let tx = self.store().begin_write().await?;
        let row = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        etag::check(if_match, row.updated_at)?;
        store::delete(&tx, who.tenant_id, id).await?;
        audit::record(&tx, who, "delete", "segment", id.0, audit_json(&row)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// How many customers in the caller's scope an unsaved rule set matches.
    pub async fn preview_segment(&self, who: &Access, rules: &Value) -> Result<u64, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let (r, defs) = parse_rules(db, who, rules).await?;
        let f = compile(who, &defs, &r, Utc::now())?;
        Ok(customers::count(db, who.tenant_id, &who.scope, &f).await?)
    }

    /// How many members of the segment the caller's scope shows.
    pub async fn count_segment(&self, who: &Access, id: SegmentId) -> Result<u64, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let seg = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let (f, _) = members_filter(db, who, &seg, Utc::now()).await?;
        Ok(customers::count(db, who.tenant_id, &who.scope, &f).await?)
    }

    /// A page of the segment's members the caller's scope shows, in id order.
    pub async fn segment_members(
        &self,
        who: &Access,
        id: SegmentId,
        page: PageRequest,
    ) -> Result<Page<CustomerView>, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let seg = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let (f, _) = members_filter(db, who, &seg, Utc::now()).await?;
        let after = page.after.map(CustomerId);
        let rows = customers::page(db, who.tenant_id, &who.scope, &f, after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id.0, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    /// Adds customers (each visible to the caller) to a static segment; ones already in stay.
    pub async fn add_segment_members(
        &self,
        who: &Access,
        id: SegmentId,
        customer_ids: &[CustomerId],
    ) -> Result<MembershipChange, AppError> {
        self.change_members(who, id, customer_ids, true).await
    }

    /// Removes customers (each visible to the caller) from a static segment; absent ones are ignored.
    pub async fn remove_segment_members(
        &self,
        who: &Access,
        id: SegmentId,
        customer_ids: &[CustomerId],
    ) -> Result<MembershipChange, AppError> {
        self.change_members(who, id, customer_ids, false).await
    }

    async fn change_members(
        &self,
        who: &Access,
        id: SegmentId,
        customer_ids: &[CustomerId],
        add: bool,
    ) -> Result<MembershipChange, AppError> {
        who.require("segments:write")?;
        let tx = self.store().begin_write().await?;
        let seg = store::lock(&tx, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        if seg.kind != SegmentKind::Static {
            return Err(AppError::Conflict { code: "segment.not_static", field: None });
        }
        if add && !customer_ids.is_empty() && customer_ids.len() <= MAX_MEMBER_BATCH {
            // Added customers stay live (not deleted or merged away) until this commits.
            customers::lock_many(&tx, who.tenant_id, customer_ids).await?;
        }
        visible_customers(&tx, who, customer_ids).await?;
        let changed = if add {
            store::add_members(&tx, who.tenant_id, id, customer_ids, who.actor.id(), Utc::now()).await?
        } else {
            store::remove_members(&tx, who.tenant_id, id, customer_ids).await?
        };
        let action = if add { "add_members" } else { "remove_members" };
        audit::record(&tx, who, action, "segment", id.0, json!({"customer_ids": customer_ids, "changed": changed}))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(MembershipChange { changed })
    }

    /// Why a customer (visible to the caller) is or is not in the segment.
    pub async fn explain_segment(
        &self,
        who: &Access,
        id: SegmentId,
        customer_id: CustomerId,
    ) -> Result<SegmentExplanation, AppError> {
        who.require("segments:read")?;
        let db = self.store().conn();
        let seg = store::find(db, who.tenant_id, id).await?.ok_or(NOT_FOUND)?;
        let row = customers::find_scoped(db, who.tenant_id, &who.scope, customer_id)
            .await?
            .filter(|r| r.deleted_at.is_none())
            .ok_or(CUSTOMER_NOT_FOUND)?;
        let now = Utc::now();
        let (_, parsed) = members_filter(db, who, &seg, now).await?;
        let Some((r, defs)) = parsed else {
            let member = store::is_member(db, who.tenant_id, id, customer_id).await?;
            return Ok(SegmentExplanation {
                segment_id: id,
                customer_id,
                kind: seg.kind,
                member,
                match_mode: None,
                conditions: Vec::new(),
            });
        };
        let tag_ids =
            tags::of_customers(db, who.tenant_id, &[customer_id]).await?.into_iter().map(|(_, t)| t.id.0).collect();
        let x = rules::explain(&r, &facts(&row, tag_ids, &defs, now));
        Ok(SegmentExplanation {
            segment_id: id,
            customer_id,
            kind: seg.kind,
            member: x.matched,
            match_mode: Some(if r.all { MatchMode::All } else { MatchMode::Any }),
            conditions: x
                .conditions
                .into_iter()
                .enumerate()
                .map(|(index, o)| ConditionOutcome {
                    index,
                    field: o.field,
                    op: o.op,
                    value: o.value,
                    matched: o.matched,
                    actual: o.actual,
                })
                .collect(),
        })
    }
}
