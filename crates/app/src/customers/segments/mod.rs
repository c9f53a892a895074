//! Segments: static lists and rule-based segments (create, list, change, delete, audited), their
//! count and members within the caller's data scope, static membership, and why a customer is in one.

mod members;
mod rules;

use crate::codes::Code;
use crate::paging::Items;
use crate::platform::audit;
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, Duration, Utc};
use crm_domain::FieldError;
use crm_domain::customers::segments::{MatchMode, SegmentKind};
use crm_domain::ids::{CustomerId, SegmentId};
use crm_store::StoreError;
use crm_store::UniqueKey;
use crm_store::customers::segments::{self as store, Segment};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub(super) const NOT_FOUND: AppError = AppError::NotFound { entity: "segment" };

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
        AppError::Conflict { code: Code::SegmentNameTaken, field: Some("/name".to_owned()) }
    } else {
        e.into()
    }
}

pub(super) fn audit_json(r: &Segment) -> Value {
    json!({"name": r.name, "kind": r.kind, "description": r.description,
        "rules": r.rules.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok())})
}

impl App {
    pub async fn create_segment(&self, who: &Access, input: NewSegment) -> Result<SegmentView, AppError> {
        who.require("segments:write")?;
        let db = self.store().conn();
        let (kind, rules) = match &input.members {
            Members::Static => (SegmentKind::Static, None),
            Members::Rules(v) => (SegmentKind::Rule, Some(rules::parse(db, who, v).await?.0.to_json().to_string())),
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
            after.rules = Some(rules::parse(&tx, who, v).await?.0.to_json().to_string());
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
}
