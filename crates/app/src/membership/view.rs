//! A member as callers see it: the membership with its customer's profile (phone masked unless
//! the caller may see personal data), level and identities.

use crate::customers::records::PII;
use crate::{Access, AppError, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::Phone;
use crm_store::ConnectionTrait;
use crm_store::customers::records;
use crm_store::membership::members::MemberRow;
use crm_store::membership::{identities, levels};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The level a member holds.
#[derive(Debug, Clone)]
pub struct LevelRef {
    pub id: Uuid,
    pub name: String,
    pub level_value: i32,
}

/// An id of the member in another system.
#[derive(Debug, Clone)]
pub struct IdentityView {
    pub source: String,
    pub external_id: String,
    pub linked_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MemberView {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub card_no: String,
    pub status: String,
    pub level: Option<LevelRef>,
    pub channel: String,
    pub application_id: Option<Uuid>,
    pub joined_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub identities: Vec<IdentityView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MemberView {
    /// The version covers the member and its customer's profile (a `PATCH` changes either).
    pub fn etag(&self) -> String {
        etag::of(self.updated_at)
    }
}

/// Builds views of `rows` with their customers, levels and identities (one query each).
pub(crate) async fn views(
    c: &impl ConnectionTrait,
    who: &Access,
    rows: Vec<MemberRow>,
) -> Result<Vec<MemberView>, AppError> {
    let tenant = who.tenant_id;
    let customer_ids: Vec<Uuid> = rows.iter().map(|r| r.customer_id).collect();
    let customers: BTreeMap<Uuid, _> = records::find_many(
        c,
        tenant,
        &customer_ids.iter().map(|i| crm_domain::ids::CustomerId(*i)).collect::<Vec<_>>(),
    )
    .await?
    .into_iter()
    .map(|c| (c.id.0, c))
    .collect();
    let levels: BTreeMap<Uuid, _> = levels::list(c, tenant).await?.into_iter().map(|l| (l.id, l)).collect();
    let member_ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut ids: BTreeMap<Uuid, Vec<IdentityView>> = BTreeMap::new();
    for i in identities::of_members(c, tenant, &member_ids).await? {
        ids.entry(i.member_id).or_default().push(IdentityView {
            source: i.source,
            external_id: i.external_id,
            linked_at: i.linked_at,
        });
    }
    let pii = who.permissions.contains(PII);
    Ok(rows
        .into_iter()
        .map(|r| {
            let cu = customers.get(&r.customer_id);
            // A profile change touches the customer only; the later of the two is the version.
            let updated_at = cu.map_or(r.updated_at, |c| c.updated_at.max(r.updated_at));
            MemberView {
                id: r.id,
                customer_id: r.customer_id,
                card_no: r.card_no,
                status: r.status,
                level: r.level_id.and_then(|l| levels.get(&l)).map(|l| LevelRef {
                    id: l.id,
                    name: l.name.clone(),
                    level_value: l.level_value,
                }),
                channel: r.channel,
                application_id: r.application_id,
                joined_at: r.joined_at,
                cancelled_at: r.cancelled_at,
                cancel_reason: r.cancel_reason,
                name: cu.map(|c| c.name.clone()).unwrap_or_default(),
                phone: cu.and_then(|c| c.phone.clone()).map(|p| if pii { p } else { Phone::from_e164(&p).masked() }),
                email: cu.and_then(|c| c.email.clone()),
                gender: cu.and_then(|c| c.gender).map(|g| g.as_str().to_owned()),
                birthday: cu.and_then(|c| c.birthday),
                identities: ids.remove(&r.id).unwrap_or_default(),
                created_at: r.created_at,
                updated_at,
            }
        })
        .collect())
}

pub(crate) async fn view(c: &impl ConnectionTrait, who: &Access, row: MemberRow) -> Result<MemberView, AppError> {
    views(c, who, vec![row]).await?.pop().ok_or_else(|| AppError::Internal("view of nothing".to_owned()))
}
