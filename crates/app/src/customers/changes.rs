//! The delta feed for integrators: customers changed after a cursor, in change order, with
//! deleted ones as tombstones.

use super::records::CHANGES;
use crate::{Access, App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use crm_domain::FieldError;
use crm_domain::ids::CustomerId;
use crm_domain::paging::Limit;
use crm_store::customers::records as customers;
use serde::Serialize;

/// One changed customer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerChange {
    pub id: CustomerId,
    /// Position in the tenant's change order.
    pub seq: i64,
    /// A tombstone: the customer was deleted (it may be restored later, which is a new change).
    pub deleted: bool,
    pub updated_at: DateTime<Utc>,
}

/// Changes in order; continue with `since=next_cursor`. The cursor is returned even when the page
/// is empty, so a poller keeps its place.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePage {
    pub items: Vec<CustomerChange>,
    pub next_cursor: String,
    pub has_more: bool,
}

fn encode(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CHANGES}:{seq}"))
}

fn decode(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(&format!("{CHANGES}:")).and_then(|n| n.parse().ok()))
        .ok_or_else(|| FieldError::new("/since", "cursor_invalid").into())
}

impl App {
    pub async fn customer_changes(
        &self,
        who: &Access,
        since: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ChangePage, AppError> {
        who.require("customers:read")?;
        let since = since.map(decode).transpose()?.unwrap_or(0);
        let limit = Limit::parse("/limit", limit)?.get() as usize;
        let mut rows =
            customers::changes(self.store().conn(), who.tenant_id, &who.scope, since, limit as u64 + 1).await?;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let last = rows.last().map_or(since, |r| r.change_seq);
        Ok(ChangePage {
            items: rows
                .into_iter()
                .map(|r| CustomerChange {
                    id: r.id,
                    seq: r.change_seq,
                    deleted: r.deleted_at.is_some(),
                    updated_at: r.updated_at,
                })
                .collect(),
            next_cursor: encode(last),
            has_more,
        })
    }
}
