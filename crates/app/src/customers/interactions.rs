//! Interactions (跟进记录) and the customer timeline: one newest-first feed merging
//! interactions and grade changes (purchases, tickets and points join it as they arrive).

use crate::platform::audit;
use crate::{Access, App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::InteractionKind;
use crm_domain::customers::customer::parse_text;
use crm_domain::paging::Limit;
use crm_domain::{FieldError, FieldErrors};
use crm_store::StoreError;
use crm_store::customers::interactions::{self, InteractionRow};
use crm_store::customers::{grade_history, records as customers};
use serde_json::json;
use uuid::Uuid;

/// An interaction as the API shows it.
#[derive(Debug, Clone)]
pub struct InteractionView {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_contact_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl From<InteractionRow> for InteractionView {
    fn from(r: InteractionRow) -> Self {
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

/// A new interaction; `occurred_at` defaults to now.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    pub kind: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub summary: String,
    pub next_step: Option<String>,
    pub next_contact_on: Option<NaiveDate>,
}

/// One timeline entry.
#[derive(Debug, Clone)]
pub enum TimelineEvent {
    Interaction(InteractionView),
    GradeChange {
        id: Uuid,
        at: DateTime<Utc>,
        from: Option<String>,
        to: String,
        actor_type: String,
        actor_id: Option<Uuid>,
    },
}

impl TimelineEvent {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            TimelineEvent::Interaction(i) => i.occurred_at,
            TimelineEvent::GradeChange { at, .. } => *at,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            TimelineEvent::Interaction(i) => i.id,
            TimelineEvent::GradeChange { id, .. } => *id,
        }
    }
}

/// A page of the timeline, newest first.
#[derive(Debug, Clone)]
pub struct TimelinePage {
    pub items: Vec<TimelineEvent>,
    pub next_cursor: Option<String>,
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
        customer: Uuid,
        cmd: NewInteraction,
    ) -> Result<InteractionView, AppError> {
        who.require("customers:write")?;
        let mut errs = FieldErrors::default();
        let kind = errs.check(InteractionKind::parse("/kind", &cmd.kind));
        let summary = match parse_text("/summary", Some(&cmd.summary), 10_000) {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                errs.push(FieldError::new("/summary", "required"));
                None
            }
            Err(e) => {
                errs.push(e);
                None
            }
        };
        let next_step = errs.check(parse_text("/next_step", cmd.next_step.as_deref(), 2000)).flatten();
        let now = Utc::now();
        let occurred_at = cmd.occurred_at.unwrap_or(now);
        if occurred_at > now + chrono::Duration::minutes(5) {
            errs.push(FieldError::new("/occurred_at", "in_future"));
        }
        errs.into_result()?;
        let (Some(kind), Some(summary)) = (kind, summary) else { return Err(AppError::Internal("unreachable".into())) };
        let tx = self.store().begin_write().await?;
        // The customer stays live (not deleted or merged away) until this commits.
        customers::lock_scoped(&tx, who.tenant_id, &who.scope, customer)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(CUSTOMER_NOT_FOUND)?;
        let row = interactions::insert(
            &tx,
            InteractionRow {
                tenant_id: who.tenant_id.0,
                id: Uuid::now_v7(),
                customer_id: customer,
                kind: kind.as_str().to_owned(),
                occurred_at,
                actor_type: who.actor.kind().to_owned(),
                actor_id: who.actor.id(),
                summary,
                next_step,
                next_contact_on: cmd.next_contact_on,
                created_at: now,
            },
        )
        .await?;
        customers::touch_interaction(&tx, who.tenant_id, customer, occurred_at).await?;
        audit::record(&tx, who, "create", "interaction", row.id, json!({"customer_id": customer, "kind": row.kind}))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(row.into())
    }

    /// The customer's timeline, newest first: interactions and grade changes merged.
    pub async fn customer_timeline(
        &self,
        who: &Access,
        customer: Uuid,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<TimelinePage, AppError> {
        who.require("customers:read")?;
        let limit = Limit::parse("/limit", limit)?.get() as usize;
        let before = cursor.map(decode).transpose()?;
        let db = self.store().conn();
        customers::find_scoped(db, who.tenant_id, &who.scope, customer).await?.ok_or(CUSTOMER_NOT_FOUND)?;
        let fetch = limit as u64 + 1;
        let mut events: Vec<TimelineEvent> = interactions::page(db, who.tenant_id, customer, before, fetch)
            .await?
            .into_iter()
            .map(|r| TimelineEvent::Interaction(r.into()))
            .collect();
        events.extend(grade_history::page(db, who.tenant_id, customer, before, fetch).await?.into_iter().map(|g| {
            TimelineEvent::GradeChange {
                id: g.id,
                at: g.changed_at,
                from: g.from_grade,
                to: g.to_grade,
                actor_type: g.actor_type,
                actor_id: g.actor_id,
            }
        }));
        events.sort_by_key(|e| std::cmp::Reverse((e.at(), e.id())));
        let more = events.len() > limit;
        events.truncate(limit);
        let next_cursor = if more { events.last().map(|e| encode(e.at(), e.id())) } else { None };
        Ok(TimelinePage { items: events, next_cursor })
    }
}
