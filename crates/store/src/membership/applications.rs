//! Enrollment applications: insert and update whole rows, the review queue, and the look-ups the
//! automatic review needs (other pending applications with the same phone or id number). Reads
//! for callers go through the data scope: an application is the caller's when the scope covers
//! the owner of its customer or its submitter; one with neither is visible tenant-wide only.

use crate::StoreError;
use crate::entities::enrollment_applications as ea;
use crate::scope::{ScopeFilter, by_owner};
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::TenantId;
use crm_domain::membership::ApplicationStatus;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Select, Statement,
};
use uuid::Uuid;

pub use ea::Model as ApplicationRow;

pub async fn insert(c: &impl ConnectionTrait, row: &ApplicationRow) -> Result<(), StoreError> {
    ea::Entity::insert(row.clone().into_active_model()).exec_without_returning(c).await?;
    Ok(())
}

/// Writes every column of `after` that differs from `before`.
pub async fn update(
    c: &impl ConnectionTrait,
    before: ApplicationRow,
    after: ApplicationRow,
) -> Result<ApplicationRow, StoreError> {
    let mut am = before.into_active_model();
    set_changed!(am, after;
        status,
        name,
        phone,
        phone_raw,
        email,
        gender,
        birthday,
        id_number,
        province,
        city,
        district,
        address,
        notes,
        customer_id,
        member_id,
        level_id,
        findings,
        clean,
        decided_at,
        decided_by,
        decision_reason,
        owner_id,
        updated_at
    );
    Ok(am.update(c).await?)
}

pub async fn find(c: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<Option<ApplicationRow>, StoreError> {
    Ok(ea::Entity::find_by_id((tenant.0, id)).one(c).await?)
}

/// The applications the scope shows: those whose linked customer's owner or whose submitter
/// it covers. Unowned ones (the website's, an API client's, not linked yet) only tenant-wide.
fn in_scope(tenant: TenantId, scope: &ScopeFilter) -> Condition {
    match scope {
        ScopeFilter::All => Condition::all(),
        s => Condition::any().add(by_owner(tenant.0, s, ea::Column::OwnerId)).add(by_owner(
            tenant.0,
            s,
            ea::Column::SubmittedBy,
        )),
    }
}

fn scoped(tenant: TenantId, scope: &ScopeFilter, id: Uuid) -> Select<ea::Entity> {
    ea::Entity::find()
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Id.eq(id))
        .filter(in_scope(tenant, scope))
}

/// One application the scope shows.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: Uuid,
) -> Result<Option<ApplicationRow>, StoreError> {
    Ok(scoped(tenant, scope, id).one(c).await?)
}

/// One application the scope shows, locked until the transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's writers are serialized already), so a decision or correction acts on
/// the row as it is and the next one waits for it.
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: Uuid,
) -> Result<Option<ApplicationRow>, StoreError> {
    Ok(scoped(tenant, scope, id).lock_exclusive().one(c).await?)
}

/// The application a system submitted under its own id.
pub async fn find_external(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    source: &str,
    external_id: &str,
) -> Result<Option<ApplicationRow>, StoreError> {
    Ok(ea::Entity::find()
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Source.eq(source))
        .filter(ea::Column::ExternalId.eq(external_id))
        .one(c)
        .await?)
}

/// Other pending applications with the same phone or id number, oldest first.
pub async fn pending_with_key(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    phone: Option<&str>,
    id_number: Option<&str>,
    except: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let mut any = Condition::any();
    if let Some(p) = phone {
        any = any.add(ea::Column::Phone.eq(p));
    }
    if let Some(i) = id_number {
        any = any.add(ea::Column::IdNumber.eq(i));
    }
    if phone.is_none() && id_number.is_none() {
        return Ok(Vec::new());
    }
    Ok(ea::Entity::find()
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Status.eq(ApplicationStatus::Pending.as_str()))
        .filter(ea::Column::Id.ne(except))
        .filter(any)
        .order_by_asc(ea::Column::Id)
        .limit(20)
        .all(c)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

/// Queue filters.
#[derive(Debug, Default, Clone)]
pub struct ApplicationFilter {
    pub status: Option<ApplicationStatus>,
    pub channel: Option<String>,
    /// Applications whose review found this (a finding code).
    pub finding: Option<String>,
    pub clean: Option<bool>,
    /// A name prefix.
    pub name_prefix: Option<String>,
    /// An E.164 phone.
    pub phone: Option<String>,
}

/// Oldest first (the queue order), after `after`.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    f: &ApplicationFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ApplicationRow>, StoreError> {
    let mut q = ea::Entity::find().filter(ea::Column::TenantId.eq(tenant.0)).filter(in_scope(tenant, scope));
    if let Some(s) = f.status {
        q = q.filter(ea::Column::Status.eq(s.as_str()));
    }
    if let Some(ch) = &f.channel {
        q = q.filter(ea::Column::Channel.eq(ch.clone()));
    }
    if let Some(code) = &f.finding {
        // Codes are snake_case words, so the pattern has no wildcard in it.
        q = q.filter(ea::Column::Findings.contains(format!("\"code\":\"{code}\"")));
    }
    if let Some(clean) = f.clean {
        q = q.filter(ea::Column::Clean.eq(clean));
    }
    match (&f.phone, &f.name_prefix) {
        (Some(p), Some(n)) => {
            q = q.filter(Condition::any().add(ea::Column::Phone.eq(p.clone())).add(
                Condition::all().add(ea::Column::Name.gte(n.clone())).add(ea::Column::Name.lt(prefix_upper_bound(n))),
            ));
        }
        (Some(p), None) => q = q.filter(ea::Column::Phone.eq(p.clone())),
        (None, Some(n)) => {
            q = q.filter(ea::Column::Name.gte(n.clone())).filter(ea::Column::Name.lt(prefix_upper_bound(n)));
        }
        (None, None) => {}
    }
    if let Some(a) = after {
        q = q.filter(ea::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(ea::Column::Id).limit(limit).all(c).await?)
}

/// Moves applications of one customer to another (a customer merge); they then belong to the
/// other customer's owner.
pub async fn repoint_customer(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    from: Uuid,
    to: Uuid,
) -> Result<(), StoreError> {
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        "UPDATE enrollment_applications SET customer_id = $1, \
         owner_id = (SELECT owner_id FROM customers WHERE tenant_id = $2 AND id = $1) \
         WHERE tenant_id = $2 AND customer_id = $3",
        [to.into(), tenant.0.into(), from.into()],
    ))
    .await?;
    Ok(())
}

/// Moves a pending application to `status` if it is still pending; false when another decision
/// got there first. The row stays locked until the transaction ends, so one decision wins.
pub async fn decide_if_pending(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    status: ApplicationStatus,
) -> Result<bool, StoreError> {
    let res = ea::Entity::update_many()
        .col_expr(ea::Column::Status, sea_orm::sea_query::Expr::value(status.as_str()))
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Id.eq(id))
        .filter(ea::Column::Status.eq(ApplicationStatus::Pending.as_str()))
        .exec(c)
        .await?;
    Ok(res.rows_affected == 1)
}
