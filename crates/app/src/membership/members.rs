//! 会员资料: members within the data scope (get, list, look-up by phone, card number or external
//! identity), profile changes (on the member's customer), the card's states (挂失, 解挂, 换卡),
//! cancellation (注销), and level changes by hand (级别调整), single and bulk, with their history.
//! Every change is audited and written to the outbox in its transaction.

use super::cards;
use super::view::{MemberView, view, views};
use crate::customers::records::{CustomerInput, ListFilters, apply, write_change};
use crate::paging::{Page, PageRequest};
use crate::platform::{audit, events, settings};
use crate::{Access, App, AppError, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::Phone;
use crm_domain::customers::customer::parse_text;
use crm_domain::membership::card::parse_card_no;
use crm_domain::membership::level::{LevelStep, upgrade_for};
use crm_domain::membership::status::CardAction;
use crm_domain::membership::{Channel, LevelChangeSource, MemberStatus};
use crm_domain::{FieldError, FieldErrors};
use crm_store::customers::records as customers;
use crm_store::membership::level_changes::{self, LevelChangeRow};
use crm_store::membership::members::{self as store, MemberFilter, MemberRow};
use crm_store::membership::{identities, levels};
use crm_store::scope::ScopeFilter;
use crm_store::{ConnectionTrait, DatabaseTransaction, StoreError};
use serde_json::json;
use uuid::Uuid;

const NOT_FOUND: AppError = AppError::NotFound { entity: "member" };
/// The most members one bulk level change takes.
pub const MAX_BULK: usize = 1000;

fn invalid_transition() -> AppError {
    AppError::Conflict { code: "member.invalid_transition", field: None }
}

/// List filters as given.
#[derive(Debug, Clone, Default)]
pub struct MemberListFilters {
    pub status: Option<String>,
    pub level_id: Option<Uuid>,
    pub channel: Option<String>,
    pub joined_from: Option<NaiveDate>,
    pub joined_to: Option<NaiveDate>,
    pub tag_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub q: Option<String>,
}

/// How to find one member.
#[derive(Debug, Clone)]
pub enum Lookup {
    Phone(String),
    CardNo(String),
    Identity { source: String, external_id: String },
}

/// A level change as the history shows it.
#[derive(Debug, Clone)]
pub struct LevelChange {
    pub from_level_id: Option<Uuid>,
    pub to_level_id: Option<Uuid>,
    pub reason: Option<String>,
    pub source: String,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

/// What happened to one member of a bulk change.
#[derive(Debug)]
pub enum BulkOutcome {
    Changed(Uuid),
    Unchanged(Uuid),
    Failed(Uuid, AppError),
}

/// The profile fields of a member (they live on the member's customer).
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub id_number: Option<Option<String>>,
    pub province: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub district: Option<Option<String>>,
    pub address: Option<Option<String>>,
}

/// A profile change as a change of the member's customer, each field parsed as a customer's.
fn profile_input(p: ProfileInput) -> Result<CustomerInput, FieldErrors> {
    use crm_domain::customers::customer::{parse_email, parse_id_number, unless_blank};
    use crm_domain::customers::{Gender, customer::parse_text as text};
    use crm_domain::limits::{ADDRESS, CITY, DISTRICT, PROVINCE};
    let mut e = FieldErrors::default();
    let name = p.name.and_then(|n| e.check(crm_domain::identity::org::parse_name("/name", &n)));
    let phone = p.phone.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| Phone::parse("/phone", s))).flatten()));
    let email = p.email.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| parse_email("/email", s))).flatten()));
    let gender = p.gender.map(|v| v.and_then(|v| e.check(Gender::parse("/gender", &v))));
    let id_number =
        p.id_number.map(|v| v.and_then(|v| e.check(unless_blank(&v, |s| parse_id_number("/id_number", s))).flatten()));
    let province = p.province.map(|v| e.check(text("/province", v.as_deref(), PROVINCE)).flatten());
    let city = p.city.map(|v| e.check(text("/city", v.as_deref(), CITY)).flatten());
    let district = p.district.map(|v| e.check(text("/district", v.as_deref(), DISTRICT)).flatten());
    let address = p.address.map(|v| e.check(text("/address", v.as_deref(), ADDRESS)).flatten());
    e.into_result()?;
    Ok(CustomerInput {
        name,
        phone,
        email,
        gender,
        birthday: p.birthday,
        id_number,
        province,
        city,
        district,
        address,
        ..CustomerInput::default()
    })
}

/// Records a level change of `member` from `from` to `to`.
pub(crate) async fn record_level_change(
    c: &impl ConnectionTrait,
    who: &Access,
    member: Uuid,
    from: Option<Uuid>,
    to: Option<Uuid>,
    source: LevelChangeSource,
    reason: Option<String>,
) -> Result<(), AppError> {
    level_changes::append(
        c,
        LevelChangeRow {
            tenant_id: who.tenant_id.0,
            id: Uuid::now_v7(),
            member_id: member,
            from_level_id: from,
            to_level_id: to,
            reason,
            source: source.as_str().to_owned(),
            actor_type: who.actor.kind().to_owned(),
            actor_id: who.actor.id(),
            changed_at: Utc::now(),
        },
    )
    .await?;
    Ok(())
}

/// Sets a member's level (in the caller's transaction), with its history, audit entry and
/// `member.level_changed` event; returns whether anything changed.
pub(crate) async fn set_level(
    tx: &DatabaseTransaction,
    who: &Access,
    before: MemberRow,
    to: Option<Uuid>,
    source: LevelChangeSource,
    reason: Option<String>,
) -> Result<(MemberRow, bool), AppError> {
    if !MemberStatus::parse("", &before.status).is_ok_and(MemberStatus::is_live) {
        return Err(invalid_transition());
    }
    if before.level_id == to {
        return Ok((before, false));
    }
    let from = before.level_id;
    let mut after = before.clone();
    after.level_id = to;
    after.updated_at = Utc::now();
    let row = store::update(tx, before, after).await?;
    record_level_change(tx, who, row.id, from, to, source, reason.clone()).await?;
    let changes = json!({"level_id": {"from": from, "to": to}, "reason": reason, "source": source.as_str()});
    audit::record(tx, who, "change_level", "member", row.id, changes.clone()).await?;
    events::emit(tx, who, "member.level_changed", "member", row.id, changes).await?;
    Ok((row, true))
}

/// The upgrade hook: raises `member` to the highest level its `upgrade_points` reach (never
/// down). The loyalty ledger calls it when upgrade points change.
pub async fn upgrade_if_due(
    tx: &DatabaseTransaction,
    who: &Access,
    member: Uuid,
    upgrade_points: i64,
) -> Result<bool, AppError> {
    let Some(row) = store::lock_scoped(tx, who.tenant_id, &ScopeFilter::All, member).await? else { return Ok(false) };
    let all = levels::list(tx, who.tenant_id).await?;
    let current = row.level_id.and_then(|l| all.iter().find(|x| x.id == l)).map(|l| l.level_value);
    let steps: Vec<LevelStep<Uuid>> = all
        .iter()
        .map(|l| LevelStep { id: l.id, level_value: l.level_value, upgrade_points: l.upgrade_points })
        .collect();
    match upgrade_for(&steps, current, upgrade_points) {
        Some(to) => Ok(set_level(tx, who, row, Some(to), LevelChangeSource::Upgrade, None).await?.1),
        None => Ok(false),
    }
}

fn parse_reason(field: &str, reason: Option<&str>, required: bool) -> Result<Option<String>, AppError> {
    let r = parse_text(field, reason, 500)?;
    if required && r.is_none() {
        return Err(FieldError::new(field, "required").into());
    }
    Ok(r)
}

impl App {
    pub async fn get_member(&self, who: &Access, id: Uuid) -> Result<MemberView, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        let row = store::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        view(db, who, row).await
    }

    /// Members within the caller's data scope, oldest first.
    pub async fn list_members(
        &self,
        who: &Access,
        f: MemberListFilters,
        page: PageRequest,
    ) -> Result<Page<MemberView>, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        let mut errs = FieldErrors::default();
        let status = f.status.as_deref().and_then(|s| errs.check(MemberStatus::parse("/status", s)));
        let channel = f.channel.as_deref().and_then(|c| errs.check(Channel::parse("/channel", c)));
        errs.into_result()?;
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
            status,
            level_id: f.level_id,
            channel: channel.map(|c| c.as_str().to_owned()),
            joined_from: f.joined_from.and_then(day),
            joined_to: f.joined_to.and_then(|d| d.succ_opt()).and_then(day),
            card_prefix: q.and_then(|q| parse_card_no("/q", q).ok()),
            customer,
        };
        let rows = store::page(db, who.tenant_id, &who.scope, &filter, page.after, page.fetch_size()).await?;
        let page = page.finish(rows, |r| r.id, |r| r);
        Ok(Page { items: views(db, who, page.items).await?, next_cursor: page.next_cursor })
    }

    /// One member by phone, current card number or external identity, within the data scope.
    /// A cancelled membership and a retired card number find nothing.
    pub async fn lookup_member(&self, who: &Access, by: Lookup) -> Result<MemberView, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        let tenant = who.tenant_id;
        let row = match by {
            Lookup::Phone(raw) => {
                let phone = Phone::parse("/phone", &raw)?;
                let mut found = store::live_by_phone(db, tenant, &who.scope, phone.e164()).await?;
                if found.len() > 1 {
                    return Err(AppError::Conflict {
                        code: "member.lookup_ambiguous",
                        field: Some("/phone".to_owned()),
                    });
                }
                found.pop()
            }
            Lookup::CardNo(raw) => {
                let card_no = parse_card_no("/card_no", &raw)?;
                store::by_card(db, tenant, &who.scope, &card_no)
                    .await?
                    .filter(|m| m.status != MemberStatus::Cancelled.as_str())
            }
            Lookup::Identity { source, external_id } => {
                match identities::find(db, tenant, &source, &external_id).await? {
                    Some(i) => store::find_scoped(db, tenant, &who.scope, i.member_id).await?,
                    None => None,
                }
            }
        };
        view(db, who, row.ok_or(NOT_FOUND)?).await
    }

    /// Changes the member's profile (its customer's record: change feed, audit and duplicates
    /// rules as for any customer change).
    pub async fn update_member_profile(
        &self,
        who: &Access,
        id: Uuid,
        input: ProfileInput,
        if_match: Option<&str>,
    ) -> Result<MemberView, AppError> {
        who.require("members:write")?;
        let tx = self.store().begin_write().await?;
        // Locked, so of two changes made with one ETag the second sees the first's version.
        let member = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let current = view(&tx, who, member.clone()).await?;
        etag::check(if_match, current.updated_at)?;
        let before = customers::find(&tx, who.tenant_id, crm_domain::ids::CustomerId(member.customer_id))
            .await?
            .ok_or(NOT_FOUND)?;
        let mut after = before.clone();
        apply(&mut after, &profile_input(input)?);
        let (_, changed) = write_change(&tx, who, before, after, "update").await?;
        if changed {
            events::emit(&tx, who, "member.updated", "member", member.id, json!({"customer_id": member.customer_id}))
                .await?;
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
        id: Uuid,
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
        let from = MemberStatus::parse("/status", &before.status)?;
        let to = from.after(action).map_err(|_| invalid_transition())?;
        let now = Utc::now();
        let mut after = before.clone();
        after.status = to.as_str().to_owned();
        after.updated_at = now;
        match action {
            CardAction::Replace => {
                let s = settings::load(&tx, who.tenant_id).await?;
                after.card_no = cards::assign(&tx, who, &s, before.id, (card_no.as_deref(), "/card_no"), None).await?;
                cards::retire(&tx, who, before.id, &before.card_no).await?;
            }
            CardAction::Cancel => {
                cards::retire(&tx, who, before.id, &before.card_no).await?;
                after.cancelled_at = Some(now);
                after.cancel_reason = reason.clone();
            }
            CardAction::ReportLost | CardAction::Unreport => {}
        }
        let (audit_action, event) = action.names();
        let changes = json!({
            "status": {"from": before.status, "to": after.status},
            "card_no": {"from": before.card_no, "to": after.card_no},
            "reason": reason,
        });
        let row = store::update(&tx, before, after).await?;
        audit::record(&tx, who, audit_action, "member", row.id, changes.clone()).await?;
        events::emit(&tx, who, event, "member", row.id, changes).await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }

    /// 级别调整: sets one member's level by hand, with a reason.
    pub async fn change_member_level(
        &self,
        who: &Access,
        id: Uuid,
        level_id: Uuid,
        reason: Option<String>,
    ) -> Result<MemberView, AppError> {
        who.require("members:level")?;
        let reason = parse_reason("/reason", reason.as_deref(), true)?;
        let tx = self.store().begin_write().await?;
        levels::hold(&tx, who.tenant_id, level_id).await?.ok_or_else(|| FieldError::new("/level_id", "not_found"))?;
        let before = store::lock_scoped(&tx, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        let (row, _) = set_level(&tx, who, before, Some(level_id), LevelChangeSource::Manual, reason).await?;
        let v = view(&tx, who, row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(v)
    }

    /// The same level change for many members, each in its own transaction: one member that
    /// cannot change never stops the others.
    pub async fn bulk_change_member_level(
        &self,
        who: &Access,
        ids: &[Uuid],
        level_id: Uuid,
        reason: Option<String>,
    ) -> Result<Vec<BulkOutcome>, AppError> {
        who.require("members:level")?;
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(FieldError::new("/member_ids", "range").with("min", 1).with("max", MAX_BULK).into());
        }
        let reason = parse_reason("/reason", reason.as_deref(), true)?;
        levels::find(self.store().conn(), who.tenant_id, level_id)
            .await?
            .ok_or_else(|| FieldError::new("/level_id", "not_found"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let one = async {
                let tx = self.store().begin_write().await?;
                levels::hold(&tx, who.tenant_id, level_id)
                    .await?
                    .ok_or_else(|| FieldError::new("/level_id", "not_found"))?;
                let before = store::lock_scoped(&tx, who.tenant_id, &who.scope, *id).await?.ok_or(NOT_FOUND)?;
                let (_, changed) =
                    set_level(&tx, who, before, Some(level_id), LevelChangeSource::Manual, reason.clone()).await?;
                tx.commit().await.map_err(StoreError::from)?;
                Ok::<bool, AppError>(changed)
            };
            out.push(match one.await {
                Ok(true) => BulkOutcome::Changed(*id),
                Ok(false) => BulkOutcome::Unchanged(*id),
                Err(e) => BulkOutcome::Failed(*id, e),
            });
        }
        Ok(out)
    }

    /// Every level the member has had, oldest first.
    pub async fn member_level_history(&self, who: &Access, id: Uuid) -> Result<Vec<LevelChange>, AppError> {
        who.require("members:read")?;
        let db = self.store().conn();
        store::find_scoped(db, who.tenant_id, &who.scope, id).await?.ok_or(NOT_FOUND)?;
        Ok(level_changes::of_member(db, who.tenant_id, id)
            .await?
            .into_iter()
            .map(|c| LevelChange {
                from_level_id: c.from_level_id,
                to_level_id: c.to_level_id,
                reason: c.reason,
                source: c.source,
                actor_type: c.actor_type,
                actor_id: c.actor_id,
                changed_at: c.changed_at,
            })
            .collect())
    }
}
