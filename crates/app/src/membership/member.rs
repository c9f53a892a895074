//! A member as callers see it (the membership with its customer's profile, phone masked unless
//! the caller may see personal data, its level and identities), and what the use cases on
//! members share (`members`, `level_changes`, `identities`).

use crate::codes::Code;
use crate::customers::records::PII;
use crate::{Access, AppError, etag};
use chrono::{DateTime, NaiveDate, Utc};
use crm_domain::customers::{Gender, Phone};
use crm_domain::ids::{ApplicationId, CustomerId, LevelId, MemberId};
use crm_domain::membership::{Channel, MemberStatus};
use crm_store::ConnectionTrait;
use crm_store::customers::records;
use crm_store::membership::identities;
use crm_store::membership::members::Member;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

pub(crate) const NOT_FOUND: AppError = AppError::NotFound { entity: "member" };

pub(crate) fn invalid_transition() -> AppError {
    AppError::Conflict { code: Code::MemberInvalidTransition, field: None }
}

/// The level a member holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelRef {
    pub id: LevelId,
    pub name: String,
    pub level_value: i32,
}

/// An id of the member in another system.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityView {
    pub source: String,
    pub external_id: String,
    pub linked_at: DateTime<Utc>,
}

/// A member. `phone` is masked unless the caller holds `customers:read_pii`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub id: MemberId,
    pub customer_id: Uuid,
    pub card_no: String,
    pub status: MemberStatus,
    pub level: Option<LevelRef>,
    /// The enrollment channel.
    pub channel: Channel,
    pub application_id: Option<ApplicationId>,
    pub joined_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub gender: Option<Gender>,
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
    rows: Vec<Member>,
) -> Result<Vec<MemberView>, AppError> {
    let tenant = who.tenant_id;
    let customer_ids: Vec<Uuid> = rows.iter().map(|r| r.customer_id).collect();
    let customers: BTreeMap<Uuid, _> =
        records::find_many(c, tenant, &customer_ids.iter().map(|i| CustomerId(*i)).collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|c| (c.id.0, c))
            .collect();
    let levels: BTreeMap<LevelId, _> =
        crate::membership::levels::current(c, who).await?.into_iter().map(|l| (l.id, l)).collect();
    let member_ids: Vec<MemberId> = rows.iter().map(|r| r.id).collect();
    let mut ids: BTreeMap<MemberId, Vec<IdentityView>> = BTreeMap::new();
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
                    name: l.spec.name.clone(),
                    level_value: l.spec.level_value,
                }),
                channel: r.channel,
                application_id: r.application_id,
                joined_at: r.joined_at,
                cancelled_at: r.cancelled_at,
                cancel_reason: r.cancel_reason,
                name: cu.map(|c| c.name.clone()).unwrap_or_default(),
                phone: cu.and_then(|c| c.phone.clone()).map(|p| if pii { p } else { Phone::from_e164(&p).masked() }),
                email: cu.and_then(|c| c.email.clone()),
                gender: cu.and_then(|c| c.gender),
                birthday: cu.and_then(|c| c.birthday),
                identities: ids.remove(&r.id).unwrap_or_default(),
                created_at: r.created_at,
                updated_at,
            }
        })
        .collect())
}

pub(crate) async fn view(c: &impl ConnectionTrait, who: &Access, row: Member) -> Result<MemberView, AppError> {
    views(c, who, vec![row]).await?.pop().ok_or_else(|| AppError::Internal("view of nothing".to_owned()))
}
