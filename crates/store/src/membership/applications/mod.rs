//! Enrollment applications: insert (idempotent under a system's `source` + `external_id`) and
//! change them, the review queue, and the look-ups the automatic review needs (other pending
//! applications with the same phone or id number). Reads for callers go through the data scope:
//! an application is the caller's when the scope covers the owner of its customer or its
//! submitter; one with neither is visible tenant-wide only.

mod record;

pub use record::{Application, ApplicationChanges, CustomerLink, Decision, NewApplication};

use crate::StoreError;
use crate::entities::enrollment_applications as ea;
use crate::scope::{ScopeFilter, by_owner};
use crate::stored::Insertion;
use chrono::{DateTime, Utc};
use crm_domain::customers::Phone;
use crm_domain::customers::search::prefix_upper_bound;
use crm_domain::ids::{ApplicationId, TenantId};
use crm_domain::membership::{ApplicationStatus, Channel, ExternalKey, FindingCode};
use record::{set_applicant, set_customer, set_findings};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Statement, TryInsertResult,
};
use uuid::Uuid;

/// Inserts a pending application; one with the same `source` + `external_id` there already
/// (a retry, perhaps a concurrent one) is [`Insertion::AlreadyThere`] and nothing is written.
pub async fn insert(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    new: NewApplication,
) -> Result<Insertion<Application>, StoreError> {
    let id = new.id;
    let mut am = ea::ActiveModel {
        tenant_id: Set(tenant.0),
        id: Set(id.0),
        channel: Set(new.channel.as_str().to_owned()),
        status: Set(ApplicationStatus::Pending.as_str().to_owned()),
        source: Set(new.key.as_ref().map(|k| k.source.clone())),
        external_id: Set(new.key.map(|k| k.external_id)),
        member_id: Set(None),
        level_id: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_reason: Set(None),
        created_by: Set(new.created_by),
        submitted_by: Set(new.submitted_by.map(|u| u.0)),
        created_at: Set(new.at),
        updated_at: Set(new.at),
        ..Default::default()
    };
    set_applicant(&mut am, new.applicant);
    set_findings(&mut am, &new.findings)?;
    set_customer(&mut am, new.customer);
    // Returned as stored (the database keeps microseconds, and the ETag must match a later GET).
    let res = ea::Entity::insert(am)
        .on_conflict_do_nothing_on([ea::Column::TenantId, ea::Column::Source, ea::Column::ExternalId])
        .exec_with_returning(c)
        .await?;
    match res {
        TryInsertResult::Inserted(m) => Ok(Insertion::Inserted(m.try_into()?)),
        TryInsertResult::Conflicted | TryInsertResult::Empty => Ok(Insertion::AlreadyThere),
    }
}

/// Writes `changes` and the change time; returns the application as stored.
pub async fn update(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApplicationId,
    changes: ApplicationChanges,
    at: DateTime<Utc>,
) -> Result<Application, StoreError> {
    let mut am = ea::ActiveModel { tenant_id: Unchanged(tenant.0), id: Unchanged(id.0), ..Default::default() };
    if let Some(a) = changes.applicant {
        set_applicant(&mut am, a);
    }
    if let Some(f) = &changes.findings {
        set_findings(&mut am, f)?;
    }
    if let Some(link) = changes.customer {
        set_customer(&mut am, Some(link));
    }
    if let Some(d) = changes.decision {
        am.status = Set(d.status.as_str().to_owned());
        am.member_id = Set(d.member_id.map(|m| m.0));
        am.level_id = Set(d.level_id.map(|l| l.0));
        am.decided_at = Set(Some(d.decided_at));
        am.decided_by = Set(d.decided_by);
        am.decision_reason = Set(d.reason);
    }
    am.updated_at = Set(at);
    am.update(c).await?.try_into()
}

fn one(m: Option<ea::Model>) -> Result<Option<Application>, StoreError> {
    m.map(Application::try_from).transpose()
}

pub async fn find(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    one(ea::Entity::find_by_id((tenant.0, id.0)).one(c).await?)
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

fn scoped(tenant: TenantId, scope: &ScopeFilter, id: ApplicationId) -> Select<ea::Entity> {
    ea::Entity::find()
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Id.eq(id.0))
        .filter(in_scope(tenant, scope))
}

/// One application the scope shows.
pub async fn find_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    one(scoped(tenant, scope, id).one(c).await?)
}

/// One application the scope shows, locked until the transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's writers are serialized already), so a decision or correction acts on
/// the row as it is and the next one waits for it.
pub async fn lock_scoped(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    id: ApplicationId,
) -> Result<Option<Application>, StoreError> {
    one(scoped(tenant, scope, id).lock_exclusive().one(c).await?)
}

/// The application a system submitted under its own key.
pub async fn find_external(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    key: &ExternalKey,
) -> Result<Option<Application>, StoreError> {
    one(ea::Entity::find()
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Source.eq(key.source.as_str()))
        .filter(ea::Column::ExternalId.eq(key.external_id.as_str()))
        .one(c)
        .await?)
}

/// Other pending applications with the same phone or id number, oldest first.
pub async fn pending_with_key(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    phone: Option<&str>,
    id_number: Option<&str>,
    except: ApplicationId,
) -> Result<Vec<ApplicationId>, StoreError> {
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
        .select_only()
        .column(ea::Column::Id)
        .filter(ea::Column::TenantId.eq(tenant.0))
        .filter(ea::Column::Status.eq(ApplicationStatus::Pending.as_str()))
        .filter(ea::Column::Id.ne(except.0))
        .filter(any)
        .order_by_asc(ea::Column::Id)
        .limit(20)
        .into_tuple::<Uuid>()
        .all(c)
        .await?
        .into_iter()
        .map(ApplicationId)
        .collect())
}

/// Queue filters.
#[derive(Debug, Default, Clone)]
pub struct ApplicationFilter {
    pub status: Option<ApplicationStatus>,
    pub channel: Option<Channel>,
    /// Applications whose review found this.
    pub finding: Option<FindingCode>,
    pub clean: Option<bool>,
    /// A name prefix.
    pub name_prefix: Option<String>,
    /// A phone.
    pub phone: Option<Phone>,
}

/// Oldest first (the queue order), after `after`.
pub async fn page(
    c: &impl ConnectionTrait,
    tenant: TenantId,
    scope: &ScopeFilter,
    f: &ApplicationFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Application>, StoreError> {
    let mut q = ea::Entity::find().filter(ea::Column::TenantId.eq(tenant.0)).filter(in_scope(tenant, scope));
    if let Some(s) = f.status {
        q = q.filter(ea::Column::Status.eq(s.as_str()));
    }
    if let Some(ch) = f.channel {
        q = q.filter(ea::Column::Channel.eq(ch.as_str()));
    }
    if let Some(code) = f.finding {
        // Codes are snake_case words, so the pattern has no wildcard in it.
        q = q.filter(ea::Column::Findings.contains(format!("\"code\":\"{}\"", code.as_str())));
    }
    if let Some(clean) = f.clean {
        q = q.filter(ea::Column::Clean.eq(clean));
    }
    let phone = f.phone.as_ref().map(|p| p.e164().to_owned());
    match (phone, &f.name_prefix) {
        (Some(p), Some(n)) => {
            q = q.filter(Condition::any().add(ea::Column::Phone.eq(p)).add(
                Condition::all().add(ea::Column::Name.gte(n.clone())).add(ea::Column::Name.lt(prefix_upper_bound(n))),
            ));
        }
        (Some(p), None) => q = q.filter(ea::Column::Phone.eq(p)),
        (None, Some(n)) => {
            q = q.filter(ea::Column::Name.gte(n.clone())).filter(ea::Column::Name.lt(prefix_upper_bound(n)));
        }
        (None, None) => {}
    }
    if let Some(a) = after {
        q = q.filter(ea::Column::Id.gt(a));
    }
    q.order_by_asc(ea::Column::Id).limit(limit).all(c).await?.into_iter().map(Application::try_from).collect()
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
