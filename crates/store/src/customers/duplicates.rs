//! Duplicate candidates: customers sharing a normalized phone, email, id number, or company and
//! name pinyin. Every lookup and grouping reads one of the customer key indexes.

use super::records::{Customer, all};
use crate::StoreError;
use crate::entities::customers as cu;
use crate::scope::{self, ScopeFilter};
use crm_domain::customers::duplicates::{DuplicateKeys, DuplicateReason};
use crm_domain::ids::{CustomerId, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

fn live() -> Condition {
    Condition::all().add(cu::Column::DeletedAt.is_null())
}

fn columns(reason: DuplicateReason) -> Vec<cu::Column> {
    match reason {
        DuplicateReason::Phone => vec![cu::Column::Phone],
        DuplicateReason::Email => vec![cu::Column::Email],
        DuplicateReason::IdNumber => vec![cu::Column::IdNumber],
        DuplicateReason::NameAndCompany => vec![cu::Column::CompanyKey, cu::Column::NamePinyin],
    }
}

fn key_parts(keys: &DuplicateKeys, reason: DuplicateReason) -> Option<Vec<String>> {
    let nonempty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
    match reason {
        DuplicateReason::Phone => nonempty(&keys.phone).map(|v| vec![v]),
        DuplicateReason::Email => nonempty(&keys.email).map(|v| vec![v]),
        DuplicateReason::IdNumber => nonempty(&keys.id_number).map(|v| vec![v]),
        DuplicateReason::NameAndCompany => match (nonempty(&keys.company_key), keys.name_pinyin.is_empty()) {
            (Some(c), false) => Some(vec![c, keys.name_pinyin.clone()]),
            _ => None,
        },
    }
}

fn equals(reason: DuplicateReason, parts: &[String]) -> Condition {
    columns(reason).into_iter().zip(parts).fold(Condition::all(), |acc, (col, v)| acc.add(col.eq(v.clone())))
}

/// Live customers matching `keys` on any reason (at most `limit`), other than `exclude`.
pub async fn candidates(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    keys: &DuplicateKeys,
    exclude: Option<CustomerId>,
    limit: u64,
) -> Result<Vec<Customer>, StoreError> {
    let any = DuplicateReason::ALL_VALUES
        .iter()
        .copied()
        .filter_map(|r| key_parts(keys, r).map(|p| equals(r, &p)))
        .fold(Condition::any(), |acc, c| acc.add(c));
    if any.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = cu::Entity::find().filter(cu::Column::TenantId.eq(tenant.0)).filter(live()).filter(any);
    if let Some(x) = exclude {
        q = q.filter(cu::Column::Id.ne(x.0));
    }
    all(q.order_by_asc(cu::Column::Id).limit(limit).all(c).await?)
}

/// Keys shared by at least two live customers within the scope, in key order after `after`.
pub async fn group_keys(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope_filter: &ScopeFilter,
    reason: DuplicateReason,
    after: Option<&[String]>,
    limit: u64,
) -> Result<Vec<Vec<String>>, StoreError> {
    let cols = columns(reason);
    let mut q = cu::Entity::find()
        .select_only()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(live())
        .filter(scope::by_owner(tenant.0, scope_filter, cu::Column::OwnerId));
    for col in &cols {
        q = q.column(*col).filter(col.is_not_null()).filter(col.ne("")).group_by(*col).order_by_asc(*col);
    }
    if let Some(after) = after {
        // Row-value comparison `(a, b) > (x, y)`, spelled out for both databases.
        let mut cond = Condition::any();
        for i in 0..cols.len().min(after.len()) {
            let mut c = Condition::all();
            for j in 0..i {
                c = c.add(cols[j].eq(after[j].clone()));
            }
            cond = cond.add(c.add(cols[i].gt(after[i].clone())));
        }
        q = q.filter(cond);
    }
    let q = q.having(Expr::cust("COUNT(*) > 1")).limit(limit);
    Ok(if cols.len() == 1 {
        q.into_tuple::<String>().all(c).await?.into_iter().map(|k| vec![k]).collect()
    } else {
        q.into_tuple::<(String, String)>().all(c).await?.into_iter().map(|(a, b)| vec![a, b]).collect()
    })
}

/// The live customers within the scope that share `key` on `reason` (at most `limit`).
pub async fn group_members(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope_filter: &ScopeFilter,
    reason: DuplicateReason,
    key: &[String],
    limit: u64,
) -> Result<Vec<Customer>, StoreError> {
    all(cu::Entity::find()
        .filter(cu::Column::TenantId.eq(tenant.0))
        .filter(live())
        .filter(scope::by_owner(tenant.0, scope_filter, cu::Column::OwnerId))
        .filter(equals(reason, key))
        .order_by_asc(cu::Column::Id)
        .limit(limit)
        .all(c)
        .await?)
}
