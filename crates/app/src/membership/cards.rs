//! 会员卡号管理: the preset pool (batch creation, special numbers, listing, deleting unused ones)
//! and the assignment of a number to a member, automatic or from the pool. A number once
//! assigned is never free again, so no number is ever reused.

use crate::codes::Code;
use crate::paging::Page;
use crate::platform::audit;
use crate::platform::settings::TenantSettings;
use crate::{Access, App, AppError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use crm_domain::FieldError;
use crm_domain::ids::MemberId;
use crm_domain::membership::card::parse_card_no;
use crm_domain::membership::{CardMode, CardOrigin, CardStatus, PresetBatch};
use crm_domain::paging::Limit;
use crm_store::Insertion;
use crm_store::membership::cards::{self as store, Card, CardFilter};
use crm_store::platform::counters;
use crm_store::{ConnectionTrait, DatabaseTransaction, StoreError};
use serde::Serialize;
use serde_json::json;

/// The counter behind automatic numbers.
const CARD_SERIAL: &str = "card_serial";
/// How many taken numbers an automatic assignment skips before giving up.
const MAX_SKIPS: usize = 1000;

/// A number of the pool.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardView {
    pub card_no: String,
    /// Never free again once assigned.
    pub status: CardStatus,
    /// Handed out only by name (on approval or replacement), never as "the next free number".
    pub reserved: bool,
    pub origin: CardOrigin,
    pub member_id: Option<MemberId>,
    pub created_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<Card> for CardView {
    fn from(r: Card) -> Self {
        Self {
            card_no: r.card_no,
            status: r.status,
            reserved: r.reserved,
            origin: r.origin,
            member_id: r.member_id,
            created_at: r.created_at,
            assigned_at: r.assigned_at,
            retired_at: r.retired_at,
        }
    }
}

/// What a batch did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchCreated {
    pub created: u64,
    /// Numbers of the batch that existed already and were left as they were.
    pub skipped: u64,
    pub first: String,
    pub last: String,
}

/// Takes the next automatic serial on its own (one statement, committed at once), for a
/// transaction about to assign a number: the tenant's serial counter is then not held for the
/// whole of that transaction, so concurrent approvals do not queue on it. A serial whose
/// transaction fails stays unused: automatic numbers are unique and increasing, not gapless.
/// `None` unless the tenant numbers cards automatically.
pub(crate) async fn reserve_serial(
    c: &impl ConnectionTrait,
    who: &Access,
    settings: &TenantSettings,
) -> Result<Option<i64>, AppError> {
    if settings.card_mode != CardMode::Auto {
        return Ok(None);
    }
    Ok(Some(counters::take(c, who.tenant_id, CARD_SERIAL, 1).await?))
}

/// Gives `member` a card number: `named` if given (it must be free, or not exist yet), else the
/// lowest free number of the pool (`preset`) or the next serial (`auto`: `reserved` first, when
/// given and still unused). In the caller's transaction.
pub(crate) async fn assign(
    tx: &DatabaseTransaction,
    who: &Access,
    settings: &TenantSettings,
    member: MemberId,
    (named, field): (Option<&str>, &str),
    reserved: Option<i64>,
) -> Result<String, AppError> {
    let now = Utc::now();
    let tenant = who.tenant_id;
    if let Some(raw) = named {
        let card_no = parse_card_no(field, raw)?;
        if store::take_named(tx, tenant, &card_no, member, now).await?
            || store::insert_assigned(tx, tenant, &card_no, member, now).await?
        {
            return Ok(card_no);
        }
        return Err(AppError::Conflict { code: Code::CardNumberNotFree, field: Some(field.to_owned()) });
    }
    match settings.card_mode {
        CardMode::Preset => store::take_lowest_free(tx, tenant, member, now)
            .await?
            .ok_or(AppError::Conflict { code: Code::CardNumberPoolEmpty, field: None }),
        CardMode::Auto => {
            let rule = settings.card_rule()?;
            let mut reserved = reserved;
            for _ in 0..MAX_SKIPS {
                let serial = match reserved.take() {
                    Some(s) => s,
                    None => counters::take(tx, tenant, CARD_SERIAL, 1).await?,
                };
                let number = u64::try_from(serial).ok().and_then(|s| rule.number(s));
                let Some(card_no) = number else {
                    return Err(AppError::Conflict { code: Code::CardNumberSerialsExhausted, field: None });
                };
                if store::insert_assigned(tx, tenant, &card_no, member, now).await? {
                    return Ok(card_no);
                }
            }
            Err(AppError::Conflict { code: Code::CardNumberSerialsExhausted, field: None })
        }
    }
}

/// Takes a member's old number out of use. The caller holds the member's row lock, so the
/// number is the member's own and still assigned; anything else is a broken invariant.
pub(crate) async fn retire(
    tx: &DatabaseTransaction,
    who: &Access,
    member: MemberId,
    card_no: &str,
) -> Result<(), AppError> {
    if !store::retire(tx, who.tenant_id, card_no, member, Utc::now()).await? {
        return Err(AppError::Internal(format!("card number {card_no} is not assigned to member {member}")));
    }
    Ok(())
}

fn encode(card_no: &str) -> String {
    URL_SAFE_NO_PAD.encode(card_no.as_bytes())
}

fn decode(raw: &str) -> Result<String, AppError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| !s.contains('\0'))
        .ok_or_else(|| FieldError::new("/cursor", "cursor_invalid").into())
}

/// Pool list filters and the page wanted (the cursor is the last card number, opaque to callers).
#[derive(Debug, Clone, Default)]
pub struct CardQuery {
    pub status: Option<CardStatus>,
    pub reserved: Option<bool>,
    /// Numbers beginning with this.
    pub prefix: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl App {
    /// 批量新增: prepares `count` free numbers; numbers that exist already are skipped.
    pub async fn create_card_batch(
        &self,
        who: &Access,
        prefix: &str,
        serial_width: i64,
        start: i64,
        count: i64,
        check_digit: bool,
    ) -> Result<BatchCreated, AppError> {
        who.require("card_numbers:write")?;
        let batch = PresetBatch::parse(prefix, serial_width, start, count, check_digit)?;
        let first = batch.numbers().next().unwrap_or_default();
        let last = batch.rule.number(batch.start + batch.count - 1).unwrap_or_default();
        let tx = self.store().begin_write().await?;
        let created = store::insert_free_batch(&tx, who.tenant_id, batch.numbers(), Utc::now()).await?;
        let result = BatchCreated { created, skipped: batch.count - created, first, last };
        audit::record(
            &tx,
            who,
            "create_batch",
            "card_number",
            who.tenant_id.0,
            json!({"prefix": batch.rule.prefix(), "serial_width": serial_width, "start": batch.start,
                   "count": batch.count, "check_digit": check_digit, "created": result.created,
                   "skipped": result.skipped, "first": result.first, "last": result.last}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(result)
    }

    /// Adds one special number; a `reserved` one is handed out only by name.
    pub async fn add_card_number(&self, who: &Access, card_no: &str, reserved: bool) -> Result<CardView, AppError> {
        who.require("card_numbers:write")?;
        let card_no = parse_card_no("/card_no", card_no)?;
        let tx = self.store().begin_write().await?;
        let card = match store::insert_special(&tx, who.tenant_id, &card_no, reserved, Utc::now()).await? {
            Insertion::Inserted(card) => card,
            Insertion::AlreadyThere => {
                return Err(AppError::Conflict { code: Code::CardNumberTaken, field: Some("/card_no".to_owned()) });
            }
        };
        audit::record(
            &tx,
            who,
            "create",
            "card_number",
            who.tenant_id.0,
            json!({"card_no": card_no, "reserved": reserved}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(card.into())
    }

    /// The pool in card-number order.
    pub async fn list_card_numbers(&self, who: &Access, p: CardQuery) -> Result<Page<CardView>, AppError> {
        who.require("card_numbers:read")?;
        let limit = Limit::parse("/limit", p.limit)?;
        let after = p.cursor.as_deref().map(decode).transpose()?;
        let f = CardFilter {
            status: p.status,
            reserved: p.reserved,
            prefix: p.prefix.map(|s| s.trim().to_ascii_uppercase()),
        };
        let n = limit.get() as usize;
        let mut rows =
            store::page(self.store().conn(), who.tenant_id, &f, after.as_deref(), u64::from(limit.get()) + 1).await?;
        let more = rows.len() > n;
        rows.truncate(n);
        let next_cursor = if more { rows.last().map(|r| encode(&r.card_no)) } else { None };
        Ok(Page { items: rows.into_iter().map(Into::into).collect(), next_cursor })
    }

    /// Deletes an unused number (409 `card_number.in_use` once it was ever assigned).
    pub async fn delete_card_number(&self, who: &Access, card_no: &str) -> Result<(), AppError> {
        who.require("card_numbers:write")?;
        let card_no = card_no.trim().to_ascii_uppercase();
        let tx = self.store().begin_write().await?;
        store::find(&tx, who.tenant_id, &card_no).await?.ok_or(AppError::NotFound { entity: "card_number" })?;
        if !store::delete_free(&tx, who.tenant_id, &card_no).await? {
            return Err(AppError::Conflict { code: Code::CardNumberInUse, field: None });
        }
        audit::record(&tx, who, "delete", "card_number", who.tenant_id.0, json!({"card_no": card_no})).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}
