//! The audit log: every change to master data is recorded in the transaction that makes it,
//! with the actor, the request id and the changed fields (secrets redacted).

use crate::paging::{Page, PageRequest};
use crate::{Access, AppError};
use chrono::{DateTime, Utc};
use crm_domain::ids::AuditEntryId;
use crm_domain::platform::audit::ActorType;
use crm_store::ConnectionTrait;
pub use crm_store::platform::audit::AuditFilter;
use crm_store::platform::audit::{self, AuditRecord, NewAuditEntry};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Field names whose values never reach the audit log.
const SECRET_FIELDS: &[&str] = &["password", "password_hash", "secret", "secret_hash", "client_secret"];

/// Replaces secret values with `"***"`, recursively.
pub fn redact(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| if SECRET_FIELDS.contains(&k.as_str()) { (k, json!("***")) } else { (k, redact(v)) })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        other => other,
    }
}

/// `{field: {from, to}}` for every top-level field that differs between two objects.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for key in b.keys().chain(a.keys()) {
        let (from, to) = (b.get(key).unwrap_or(&Value::Null), a.get(key).unwrap_or(&Value::Null));
        if from != to && !out.contains_key(key) {
            out.insert(key.clone(), json!({"from": from, "to": to}));
        }
    }
    redact(Value::Object(out))
}

/// Appends one entry inside the caller's transaction.
pub async fn record(
    c: &impl ConnectionTrait,
    who: &Access,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    changes: Value,
) -> Result<(), AppError> {
    let changes = redact(changes);
    audit::append(
        c,
        NewAuditEntry {
            tenant_id: who.tenant_id,
            actor_type: who.actor.actor_type(),
            actor_id: who.actor.id(),
            request_id: who.request_id.as_deref(),
            action,
            entity_type,
            entity_id,
            changes: &changes,
        },
    )
    .await?;
    Ok(())
}

/// Appends one entry per `(entity_id, changes)` with the same action, in the caller's transaction.
pub async fn record_many(
    c: &impl ConnectionTrait,
    who: &Access,
    action: &str,
    entity_type: &str,
    entries: Vec<(Uuid, Value)>,
) -> Result<(), AppError> {
    let entries: Vec<(Uuid, Value)> = entries.into_iter().map(|(id, v)| (id, redact(v))).collect();
    audit::append_many(
        c,
        entries
            .iter()
            .map(|(entity_id, changes)| NewAuditEntry {
                tenant_id: who.tenant_id,
                actor_type: who.actor.actor_type(),
                actor_id: who.actor.id(),
                request_id: who.request_id.as_deref(),
                action,
                entity_type,
                entity_id: *entity_id,
                changes,
            })
            .collect(),
    )
    .await?;
    Ok(())
}

/// One audit entry.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: ActorType,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    /// `create`, `update`, `delete`, `disable`, `reset_password`, ...
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    /// The fields written (create, delete) or `{field: {from, to}}` (update); secrets are `***`.
    pub changes: Value,
}

impl From<AuditRecord> for AuditEntry {
    fn from(r: AuditRecord) -> Self {
        Self {
            id: r.id,
            occurred_at: r.occurred_at,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            request_id: r.request_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            changes: r.changes,
        }
    }
}

impl crate::App {
    /// The tenant's audit log, newest first.
    pub async fn audit_log(
        &self,
        who: &Access,
        f: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, AppError> {
        who.require("audit_log:read")?;
        let rows = audit::page(self.store().conn(), who.tenant_id, &f, page.after, page.fetch_size()).await?;
        Ok(page.finish(rows, |r| r.id.0, AuditEntry::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields_and_hides_secrets() {
        let before = json!({"name": "A", "password_hash": "x", "kind": "team"});
        let after = json!({"name": "B", "password_hash": "y", "kind": "team", "new": 1});
        assert_eq!(
            diff(&before, &after),
            json!({"name": {"from": "A", "to": "B"}, "password_hash": "***", "new": {"from": null, "to": 1}})
        );
        assert_eq!(
            redact(json!({"a": {"secret": "s"}, "b": [{"password": "p"}]})),
            json!({"a": {"secret": "***"}, "b": [{"password": "***"}]})
        );
    }
}
