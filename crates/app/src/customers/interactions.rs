//! Interactions (跟进记录) and the customer timeline: one newest-first feed merging
//! interactions and grade changes (purchases, tickets and points join it as they arrive).

use crate::paging::Page;
use crate::platform::audit;
use crate::{Access, App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::FieldError;
use crm_domain::customers::{InteractionKind, LifecycleGrade};
use crm_domain::ids::{CustomerId, InteractionId};
use crm_domain::paging::Limit;
use crm_store::StoreError;
use crm_store::customers::interactions::{self, Interaction};
use crm_store::customers::{grade_history, records as customers};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An interaction.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InteractionView {
    pub id: InteractionId,
    pub customer_id: CustomerId,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    /// Who recorded it: `user`, `api_client` or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_contact_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl From<Interaction> for InteractionView {
    fn from(r: Interaction) -> Self {
        Self {
            id: r.id,
            customer_id: r.customer_id,
            kind: r.kind,
            occurred_at: r.occurred_at,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            summary: r.summary,
            next_step: r.next_step,
            next_contact_on: r.next_contact_on,
            created_at: r.created_at,
        }
    }
}

/// A new interaction, each field valid; `occurred_at` defaults to now.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    pub kind: InteractionKind,
    pub occurred_at: Option<DateTime<Utc>>,
    /// Trimmed, 1 to 10000 characters.
    pub summary: String,
    pub next_step: Option<String>,
    pub next_contact_on: Option<NaiveDate>,
}

/// What a timeline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineEntryType {
    Interaction,
    GradeChange,
}

/// One entry of the timeline: `type` says which fields are set.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    #[serde(rename = "type")]
    pub type_: TimelineEntryType,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub interaction: Option<InteractionView>,
    pub grade_from: Option<LifecycleGrade>,
    pub grade_to: Option<LifecycleGrade>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
}

fn encode(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", at.timestamp_nanos_opt().unwrap_or_default()))
}

fn decode(cursor: &str) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let bad = || AppError::from(FieldError::new("/cursor", "cursor_invalid"));
    let s = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    let (nanos, id) = s.split_once(':').ok_or_else(bad)?;
    let at = DateTime::from_timestamp_nanos(nanos.parse().map_err(|_| bad())?);
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

const CUSTOMER_NOT_FOUND: AppError = AppError::NotFound { entity: "customer" };

impl App {
    pub async fn add_interaction(
        &self,
        who: &Access,
        customer: CustomerId,
        cmd: NewInteraction,
    ) -> Result<InteractionView, AppError> {
        who.require("customers:write")?;
        let now = Utc::now();
        let occurred_at = cmd.occurred_at.unwrap_or(now);
        if occurred_at > now + chrono::Duration::minutes(5) {
            return Err(FieldError::new("/occurred_at", "in_future").into());
        }
        let tx = self.store().begin_write().await?;
        // The customer stays live (not deleted or merged away) until this commits.
        customers::lock_scoped(&tx, who.tenant_id, &who.scope, customer)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(CUSTOMER_NOT_FOUND)?;
        let row = interactions::insert(
            &tx,
            Interaction {
                tenant_id: who.tenant_id,
                id: InteractionId::new(),
                customer_id: customer,
                kind: cmd.kind,
                occurred_at,
                actor_type: who.actor.kind().to_owned(),
                actor_id: who.actor.id(),
                summary: cmd.summary,
                next_step: cmd.next_step,
                next_contact_on: cmd.next_contact_on,
                created_at: now,
            },
        )
        .await?;
        customers::touch_interaction(&tx, who.tenant_id, customer, occurred_at).await?;
        audit::record(&tx, who, "create", "interaction", row.id.0, json!({"customer_id": customer, "kind": row.kind}))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row.into())
    }

    /// The customer's timeline, newest first: interactions and grade changes merged.
    pub async fn customer_timeline(
        &self,
        who: &Access,
        customer: CustomerId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<TimelineEntry>, AppError> {
        who.require("customers:read")?;
        let limit = Limit::parse("/limit", limit)?.get() as usize;
        let before = cursor.map(decode).transpose()?;
        let db = self.store().conn();
        customers::find_scoped(db, who.tenant_id, &who.scope, customer).await?.ok_or(CUSTOMER_NOT_FOUND)?;
        let fetch = limit as u64 + 1;
        let mut entries: Vec<TimelineEntry> = interactions::page(db, who.tenant_id, customer, before, fetch)
            .await?
            .into_iter()
            .map(|r| TimelineEntry {
                type_: TimelineEntryType::Interaction,
                id: r.id.0,
                at: r.occurred_at,
                actor_type: r.actor_type.clone(),
                actor_id: r.actor_id,
                interaction: Some(r.into()),
                grade_from: None,
                grade_to: None,
            })
            .collect();
        entries.extend(grade_history::page(db, who.tenant_id, customer, before, fetch).await?.into_iter().map(|g| {
            TimelineEntry {
                type_: TimelineEntryType::GradeChange,
                id: g.id,
                at: g.changed_at,
                interaction: None,
                grade_from: g.from,
                grade_to: Some(g.to),
                actor_type: g.actor_type,
                actor_id: g.actor_id,
            }
        }));
        entries.sort_by_key(|e| std::cmp::Reverse((e.at, e.id)));
        let more = entries.len() > limit;
        entries.truncate(limit);
        let next_cursor = if more { entries.last().map(|e| encode(e.at, e.id)) } else { None };
        Ok(Page { items: entries, next_cursor })
    }
}
