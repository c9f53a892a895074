//! The card-number pool. Every number prepared or handed out is a row; taking a number is one
//! conditional statement, so two approvals never get the same number, and an assigned number
//! never becomes free again.

use crate::StoreError;
use crate::entities::card_numbers as cn;
use crate::stored::{Insertion, parse_stored};
use chrono::{DateTime, Utc};
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::{MemberId, TenantId};
use crm_domain::membership::{CardOrigin, CardStatus};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, TryInsertResult,
};

/// A number of the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub card_no: String,
    pub status: CardStatus,
    /// Handed out only by name, never as "the next free number".
    pub reserved: bool,
    pub origin: CardOrigin,
    pub member_id: Option<MemberId>,
    pub created_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl TryFrom<cn::Model> for Card {
    type Error = StoreError;

    fn try_from(m: cn::Model) -> Result<Self, StoreError> {
        Ok(Self {
            card_no: m.card_no,
            status: parse_stored("status", &m.status, CardStatus::parse)?,
            reserved: m.reserved,
            origin: parse_stored("origin", &m.origin, CardOrigin::parse)?,
            member_id: m.member_id.map(MemberId),
            created_at: m.created_at,
            assigned_at: m.assigned_at,
            retired_at: m.retired_at,
        })
    }
}

/// Rows per insert statement when creating a batch.
const CHUNK: usize = 500;

fn free_row(
    tenant: TenantId,
    card_no: String,
    origin: CardOrigin,
    reserved: bool,
    now: DateTime<Utc>,
) -> cn::ActiveModel {
    cn::ActiveModel {
        tenant_id: Set(tenant.0),
        card_no: Set(card_no),
        status: Set(CardStatus::Free.as_str().to_owned()),
        reserved: Set(reserved),
        origin: Set(origin.as_str().to_owned()),
        member_id: Set(None),
        created_at: Set(now),
        assigned_at: Set(None),
        retired_at: Set(None),
    }
}

/// Adds free numbers, skipping any that exist in any state; returns how many were added.
pub async fn insert_free_batch(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    numbers: impl Iterator<Item = String>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut created = 0;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut numbers = numbers.peekable();
    while numbers.peek().is_some() {
        chunk.clear();
        chunk.extend(numbers.by_ref().take(CHUNK).map(|n| free_row(tenant, n, CardOrigin::Batch, false, now)));
        created += cn::Entity::insert_many(chunk.drain(..))
            .on_conflict(OnConflict::columns([cn::Column::TenantId, cn::Column::CardNo]).do_nothing().to_owned())
            .exec_without_returning(c)
            .await?;
    }
    Ok(created)
}

/// Adds one special number; [`Insertion::AlreadyThere`] when the number exists (in any state).
pub async fn insert_special(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    card_no: &str,
    reserved: bool,
    now: DateTime<Utc>,
) -> Result<Insertion<Card>, StoreError> {
    let res = cn::Entity::insert(free_row(tenant, card_no.to_owned(), CardOrigin::Special, reserved, now))
        .on_conflict_do_nothing_on([cn::Column::TenantId, cn::Column::CardNo])
        .exec_without_returning(c)
        .await?;
    if !matches!(res, TryInsertResult::Inserted(1)) {
        return Ok(Insertion::AlreadyThere);
    }
    let card = find(c, tenant, card_no).await?;
    card.map(Insertion::Inserted)
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotFound("inserted card number".into())))
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, card_no: &str) -> Result<Option<Card>, StoreError> {
    cn::Entity::find_by_id((tenant.0, card_no.to_owned())).one(c).await?.map(Card::try_from).transpose()
}

/// Assigns the lowest free, unreserved number (byte order) to `member`; `None` when the pool is
/// empty. On PostgreSQL a number another transaction is taking is skipped (`SKIP LOCKED`), so
/// concurrent approvals take different numbers without waiting on each other; on SQLite writers
/// are serialized by `BEGIN IMMEDIATE`.
pub async fn take_lowest_free(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let backend = c.get_database_backend();
    let lock = if backend == DbBackend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE card_numbers SET status = $1, member_id = $2, assigned_at = $3 \
         WHERE tenant_id = $4 AND card_no = (\
           SELECT card_no FROM card_numbers WHERE tenant_id = $4 AND status = $5 AND reserved = $6 \
           ORDER BY card_no LIMIT 1{lock}) \
         AND status = $5 RETURNING card_no"
    );
    let row = c
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                CardStatus::Assigned.as_str().into(),
                member.0.into(),
                now.into(),
                tenant.0.into(),
                CardStatus::Free.as_str().into(),
                false.into(),
            ],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get::<String>("", "card_no")?),
        None => None,
    })
}

/// Assigns a named free number (reserved or not) to `member`; false when it is not free.
pub async fn take_named(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    card_no: &str,
    member: MemberId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = cn::Entity::update_many()
        .col_expr(cn::Column::Status, CardStatus::Assigned.as_str().into())
        .col_expr(cn::Column::MemberId, Some(member.0).into())
        .col_expr(cn::Column::AssignedAt, Some(now).into())
        .filter(cn::Column::TenantId.eq(tenant.0))
        .filter(cn::Column::CardNo.eq(card_no))
        .filter(cn::Column::Status.eq(CardStatus::Free.as_str()))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records a number made from the automatic counter as assigned; false when the number exists
/// already (a special number, or one from an earlier prefix), so the caller takes the next serial.
pub async fn insert_assigned(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    card_no: &str,
    member: MemberId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut row = free_row(tenant, card_no.to_owned(), CardOrigin::Auto, false, now);
    row.status = Set(CardStatus::Assigned.as_str().to_owned());
    row.member_id = Set(Some(member.0));
    row.assigned_at = Set(Some(now));
    let n = cn::Entity::insert(row)
        .on_conflict(OnConflict::columns([cn::Column::TenantId, cn::Column::CardNo]).do_nothing().to_owned())
        .exec_without_returning(c)
        .await?;
    Ok(n == 1)
}

/// Takes a number assigned to `member` out of use for good; false when it is not assigned to
/// that member (retired already, or never theirs).
pub async fn retire(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    card_no: &str,
    member: MemberId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = cn::Entity::update_many()
        .col_expr(cn::Column::Status, CardStatus::Retired.as_str().into())
        .col_expr(cn::Column::RetiredAt, Some(now).into())
        .filter(cn::Column::TenantId.eq(tenant.0))
        .filter(cn::Column::CardNo.eq(card_no))
        .filter(cn::Column::Status.eq(CardStatus::Assigned.as_str()))
        .filter(cn::Column::MemberId.eq(member.0))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Deletes a free number; false when it is not free (or absent).
pub async fn delete_free(c: &impl ConnectionTrait, tenant: TenantId, card_no: &str) -> Result<bool, StoreError> {
    let res = cn::Entity::delete_many()
        .filter(cn::Column::TenantId.eq(tenant.0))
        .filter(cn::Column::CardNo.eq(card_no))
        .filter(cn::Column::Status.eq(CardStatus::Free.as_str()))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Pool list filters.
#[derive(Debug, Default, Clone)]
pub struct CardFilter {
    pub status: Option<CardStatus>,
    pub reserved: Option<bool>,
    pub prefix: Option<String>,
}

/// In card-number order after `after`.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    f: &CardFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Card>, StoreError> {
    let mut q = cn::Entity::find().filter(cn::Column::TenantId.eq(tenant.0));
    if let Some(s) = f.status {
        q = q.filter(cn::Column::Status.eq(s.as_str()));
    }
    if let Some(r) = f.reserved {
        q = q.filter(cn::Column::Reserved.eq(r));
    }
    if let Some(p) = f.prefix.as_deref().filter(|p| !p.is_empty()) {
        q = q.filter(cn::Column::CardNo.gte(p)).filter(cn::Column::CardNo.lt(prefix_upper_bound(p)));
    }
    if let Some(a) = after {
        q = q.filter(cn::Column::CardNo.gt(a));
    }
    q.order_by_asc(cn::Column::CardNo).limit(limit).all(c).await?.into_iter().map(Card::try_from).collect()
}
