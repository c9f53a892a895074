//! 会员资料: members within the data scope (get, list, look-up by phone, card number or external
//! identity), profile changes (on the member's customer), the card's states (挂失, 解挂, 换卡) and
//! cancellation (注销). Every change is audited and written to the outbox in its transaction.

use super::cards;
use super::member::{MemberView, NOT_FOUND, invalid_transition, view, views};
use crate::codes::Code;
use crate::customers::records::ListFilters;
use crate::customers::records::write_change;
use crate::customers::records::{CustomerInput, apply};
use crate::integration::events;
use crate::paging::{Page, PageRequest};
use crate::platform::{audit, settings};
use crate::{Access, App, AppError, etag};
use chrono::{NaiveDate, Utc};
use crm_domain::FieldError;
use crm_domain::customers::Phone;
use crm_domain::customers::customer::parse_text;
use crm_domain::ids::{CustomerId, LevelId, MemberId};
use crm_domain::integration::events::{CardActionFacts, DomainEvent, MemberUpdatedV1};
use crm_domain::membership::card::parse_card_no;
use crm_domain::membership::status::CardAction;
use crm_domain::membership::{Channel, MemberStatus};
use crm_store::StoreError;
use crm_store::customers::records as customers;
use crm_store::membership::identities;
use crm_store::membership::members::{self as store, MemberChanges, MemberFilter};
use serde_json::json;
use uuid::Uuid;

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    pub status: Option<MemberStatus>,
    pub level_id: Option<LevelId>,
    /// The enrollment channel.
    pub channel: Option<Channel>,
    /// Joined on or after this date (UTC).
    pub joined_from: Option<NaiveDate>,
    /// Joined on or before this date (UTC).
    pub joined_to: Option<NaiveDate>,
    /// Members whose customer carries this tag.
    pub tag_id: Option<Uuid>,
    /// Members whose customer this user owns.
    pub owner_id: Option<Uuid>,
    /// A card number (or its beginning), a name, pinyin or initials, or a phone.
    pub q: Option<String>,
}

/// How to find one member.
#[derive(Debug, Clone)]
pub enum Lookup {
    Phone(String),
    CardNo(String),
    Identity { source: String, external_id: String },
}

/// The live member `by` names, within the caller's data scope (`field` prefixes the names of the
/// fields in errors: `/member` for a purchase's member). Shared by the lookup and by every use
/// case that names a member by phone or card number.
pub(crate) async fn find_by(
    c: &impl crm_store::ConnectionTrait,
    who: &Access,
    by: &Lookup,
    field: &str,
) -> Result<Option<store::Member>, AppError> {
    let tenant = who.tenant_id;
    Ok(match by {
        Lookup::Phone(raw) => {
            let phone = Phone::parse(&format!("{field}/phone"), raw)?;
            let mut found = store::live_by_phone(c, tenant, &who.scope, phone.e164()).await?;
            if found.len() > 1 {
                return Err(AppError::Conflict {
                    code: Code::MemberLookupAmbiguous,
                    field: Some(format!("{field}/phone")),
                });
            }
            found.pop()
        }
        Lookup::CardNo(raw) => {
            let card_no = parse_card_no(&format!("{field}/card_no"), raw)?;
            store::by_card(c, tenant, &who.scope, &card_no).await?.filter(|m| m.status != MemberStatus::Cancelled)
        }
        Lookup::Identity { source, external_id } => match identities::find(c, tenant, source, external_id).await? {
            Some(i) => store::find_scoped(c, tenant, &who.scope, i.member_id).await?,
            None => None,
        },
    })
}

/// A reason of at most 500 characters, `required` or not.
pub(crate) fn parse_reason(field: &str, reason: Option<&str>, required: bool) -> Result<Option<String>, AppError> {
    let r = parse_text(field, reason, 500)?;
    if required && r.is_none() {
        return Err(FieldError::new(field, "required").into());
    }
    Ok(r)
}

impl App {
    pub async fn get_member(&self, who: &Access, id: MemberId) -> Result<MemberView, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        let row = store::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        view(db, who, row).await
    }

    /// Members within the caller's data scope, oldest first.
    pub async fn list_members(
        &self,
        who: &Access,
        f: MemberQuery,
        page: PageRequest,
    ) -> Result<Page<MemberView>, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let customer_filters = ListFilters {
            q: q.and_then(crm_domain::customers::SearchQuery::parse),
            owner_id: f.owner_id.map(crm_domain::ids::UserId),
            tag_id: f.tag_id.map(crm_domain::ids::TagId),
            ..ListFilters::default()
        };
        let customer = crate::customers::records::store_filter(db, who, customer_filters).await?;
        let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let filter = MemberFilter {
            status: f.status,
            level_id: f.level_id,
            channel: f.channel,
            joined_from: f.joined_from.and_then(day),
            joined_to: f.joined_to.and_then(|d| d.succ_opt()).and_then(day),
            card_prefix: q.and_then(|q| parse_card_no("/q", q).ok()),
            customer,
        };
        let rows = store::page(db, who.tenant_id, &who.scope, &filter, page.after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id.0, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    /// One member by phone, current card number or external identity, within the data scope.
    /// A cancelled membership and a retired card number find nothing.
    pub async fn lookup_member(&self, who: &Access, by: Lookup) -> Result<MemberView, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        let row = find_by(db, who, &by, "").await?;
        view(db, who, row.ok_or(NOT_FOUND)?).await
    }

    /// Changes the member's profile (its customer's record: change feed, audit and duplicates
    /// rules as for any customer change); only the profile fields of `input` apply.
    pub async fn update_member_profile(
        &self,
        who: &Access,
        id: MemberId,
        input: CustomerInput,
        if_match: Option<&str>,
    ) -> Result<MemberView, AppError> {
        who.require("members:write")?;
        let tx = self.store().begin_write().await?;
        // Locked, so of two changes made with one ETag the second sees the first's version.
        let member = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let current = view(&tx, who, member.clone()).await?;
        etag::check(if_match, current.updated_at)?;
        let before = customers::find(&tx, who.tenant_id, CustomerId(member.customer_id)).await?.ok_or(NOT_FOUND)?;
        let mut after = before.clone();
        // Only the profile: a member's owner, tags or grade are the customer's business.
        let input = CustomerInput {
            name: input.name,
            phone: input.phone,
            email: input.email,
            gender: input.gender,
            birthday: input.birthday,
            id_number: input.id_number,
            province: input.province,
            city: input.city,
            district: input.district,
            address: input.address,
            invalid: input.invalid,
            ..CustomerInput::default()
        };
        input.invalid.clone().into_result()?;
        apply(&mut after, &input);
        let (_, changed) = write_change(&tx, who, before, after, "update").await?;
        if changed {
            let updated = MemberUpdatedV1 { member_id: member.id.0, customer_id: member.customer_id };
            events::emit(&tx, who, DomainEvent::MemberUpdated(updated)).await?;
        }
        let v = view(&tx, who, member).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }

    /// 挂失 / 解挂 / 换卡 / 注销. Replacement gives a new number (`card_no` if named, else as
    /// the tenant's card mode says) and retires the old one; cancellation retires the number and
    /// needs a reason. A state the action does not apply to is 409 `member.invalid_transition`.
    pub async fn member_card_action(
        &self,
        who: &Access,
        id: MemberId,
        action: CardAction,
        reason: Option<String>,
        card_no: Option<String>,
    ) -> Result<MemberView, AppError> {
        who.require("members:write")?;
        let reason = parse_reason("/reason", reason.as_deref(), action == CardAction::Cancel)?;
        let tx = self.store().begin_write().await?;
        // Locked: a second action on the member waits, then checks its transition against this
        // one's outcome (and a replacement retires the number this one gave).
        let before = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let to = before.status.after(action).map_err(|_| invalid_transition())?;
        let now = Utc::now();
        let mut changes = MemberChanges { status: Some(to), ..MemberChanges::default() };
        match action {
            CardAction::Replace => {
                let s = settings::current(&tx, who).await?;
                let new_no = cards::assign(&tx, who, &s, before.id, (card_no.as_deref(), "/card_no"), None).await?;
                cards::retire(&tx, who, before.id, &before.card_no).await?;
                changes.card_no = Some(new_no);
            }
            CardAction::Cancel => {
                cards::retire(&tx, who, before.id, &before.card_no).await?;
                changes.cancelled = Some((now, reason.clone()));
            }
            CardAction::ReportLost | CardAction::Unreport => {}
        }
        let row = store::update(&tx, who.tenant_id, before.id, changes, now).await?;
        let (audit_action, _) = action.names();
        let changes = json!({
            "status": {"from": before.status, "to": row.status},
            "card_no": {"from": before.card_no, "to": row.card_no},
            "reason": reason,
        });
        audit::record(&tx, who, audit_action, "member", row.id.0, changes.clone()).await?;
        let (card_no_before, card_no_after) = (before.card_no.clone(), row.card_no.clone());
        let facts = CardActionFacts { member_id: before.id.0, card_no_before, card_no_after, reason, at: now };
        events::emit(&tx, who, DomainEvent::of_card_action(action, facts)).await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }
}
