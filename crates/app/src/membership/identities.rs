//! A member's identities in other systems (a WeChat openid or unionid, a website account): the
//! website and mini-programs sign members in by them. Unique per tenant and source; the same
//! identity may belong to members of other tenants (platform members across stores).

use super::member::{MemberView, NOT_FOUND, view};
use crate::codes::Code;
use crate::integration::events;
use crate::platform::audit;
use crate::{Access, App, AppError};
use chrono::Utc;
use crm_domain::FieldError;
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::MemberId;
use crm_domain::integration::events::{DomainEvent, MemberIdentityLinkedV1, MemberIdentityUnlinkedV1};
use crm_store::Insertion;
use crm_store::StoreError;
use crm_store::membership::identities::{self as store, Identity};
use crm_store::membership::members;
use serde_json::json;

fn taken() -> AppError {
    AppError::Conflict { code: Code::MemberIdentityTaken, field: Some("/external_id".to_owned()) }
}

fn parse_key(source: &str, external_id: &str) -> Result<(String, String), AppError> {
    let mut errs = crm_domain::FieldErrors::default();
    let s = errs.check(parse_text("/source", Some(source), crm_domain::limits::SOURCE)).flatten();
    let e = errs.check(parse_text("/external_id", Some(external_id), crm_domain::limits::EXTERNAL_ID)).flatten();
    if s.is_none() && errs.0.iter().all(|x| x.field != "/source") {
        errs.push(FieldError::new("/source", "required"));
    }
    if e.is_none() && errs.0.iter().all(|x| x.field != "/external_id") {
        errs.push(FieldError::new("/external_id", "required"));
    }
    errs.into_result()?;
    Ok((s.unwrap_or_default(), e.unwrap_or_default()))
}

impl App {
    /// Links an identity to the member; linking one it already has changes nothing.
    pub async fn link_member_identity(
        &self,
        who: &Access,
        id: MemberId,
        source: &str,
        external_id: &str,
    ) -> Result<MemberView, AppError> {
        who.require("members:write")?;
        let (source, external_id) = parse_key(source, external_id)?;
        let tx = self.store().begin_write().await?;
        let member = members::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let identity = Identity {
            source: source.clone(),
            external_id: external_id.clone(),
            member_id: member.id,
            linked_at: Utc::now(),
        };
        match store::insert(&tx, who.tenant_id, identity).await? {
            Insertion::Inserted(()) => {
                let changes = json!({"source": source, "external_id": external_id});
                audit::record(&tx, who, "link_identity", "member", member.id.0, changes.clone()).await?;
                let linked = MemberIdentityLinkedV1 { member_id: member.id.0, source, external_id };
                events::emit(&tx, who, DomainEvent::MemberIdentityLinked(linked)).await?;
            }
            // Linked before: to this member it is no change, to another a conflict.
            Insertion::AlreadyThere => match store::find(&tx, who.tenant_id, &source, &external_id).await? {
                Some(i) if i.member_id == member.id => {}
                _ => return Err(taken()),
            },
        }
        let v = view(&tx, who, member).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }

    /// Unlinks an identity of the member (404 `member_identity.not_found` when it has none such).
    pub async fn unlink_member_identity(
        &self,
        who: &Access,
        id: MemberId,
        source: &str,
        external_id: &str,
    ) -> Result<(), AppError> {
        who.require("members:write")?;
        let tx = self.store().begin_write().await?;
        let member = members::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        if !store::delete(&tx, who.tenant_id, member.id, source, external_id).await? {
            return Err(AppError::NotFound { entity: "member_identity" });
        }
        let changes = json!({"source": source, "external_id": external_id});
        audit::record(&tx, who, "unlink_identity", "member", member.id.0, changes.clone()).await?;
        let (source, external_id) = (source.to_owned(), external_id.to_owned());
        let unlinked = MemberIdentityUnlinkedV1 { member_id: member.id.0, source, external_id };
        events::emit(&tx, who, DomainEvent::MemberIdentityUnlinked(unlinked)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
