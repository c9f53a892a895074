//! The version 1 payloads of the domain events: what each event tells other systems.

use crate::membership::{Channel, LevelChangeSource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `member.enrolled` v1: an enrollment application was approved; the member exists with its card
/// number and entry level, linked to a customer (found or created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c",
    "customer_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a41", "card_no": "M00000128",
    "level_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a43", "channel": "online",
    "application_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a42", "joined_at": "2026-12-03T10:42:25Z"
})))]
pub struct MemberEnrolledV1 {
    pub member_id: Uuid,
    /// The customer record of the member (the person's profile).
    pub customer_id: Uuid,
    /// The member's card number.
    pub card_no: String,
    /// The entry level; `null` when the tenant has no levels.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub level_id: Option<Uuid>,
    /// Where the application came from.
    pub channel: Channel,
    /// The approved application.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub application_id: Option<Uuid>,
    pub joined_at: DateTime<Utc>,
}

/// `member.updated` v1: the member's profile (its customer's record) changed. It carries no
/// personal data: read the member for the new values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c",
    "customer_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a41"
})))]
pub struct MemberUpdatedV1 {
    pub member_id: Uuid,
    pub customer_id: Uuid,
}

/// `member.level_changed` v1: the member's level changed, by hand (with a reason), on enrollment
/// or by an automatic upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "from_level_id": null,
    "to_level_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a43", "source": "manual", "reason": "VIP"
})))]
pub struct MemberLevelChangedV1 {
    pub member_id: Uuid,
    /// The level before; `null` when the member had none.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub from_level_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub to_level_id: Option<Uuid>,
    pub source: LevelChangeSource,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
    /// The ledger entry whose upgrade points caused an automatic change (added within v1: absent
    /// in events written before the ledger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_entry_id: Option<Uuid>,
}

/// `member.card_lost` v1: the card was reported lost (挂失); it cannot be used until unreported
/// or replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "card_no": "M00000128", "reason": null
})))]
pub struct MemberCardLostV1 {
    pub member_id: Uuid,
    /// The card number reported lost.
    pub card_no: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
}

/// `member.card_unreported` v1: a card reported lost is in use again (解挂).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "card_no": "M00000128", "reason": "found"
})))]
pub struct MemberCardUnreportedV1 {
    pub member_id: Uuid,
    pub card_no: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
}

/// `member.card_replaced` v1: the member has a new card number (换卡); the previous one is retired
/// and never used again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "previous_card_no": "M00000128",
    "card_no": "M00000311", "reason": null
})))]
pub struct MemberCardReplacedV1 {
    pub member_id: Uuid,
    /// The retired number.
    pub previous_card_no: String,
    /// The new number.
    pub card_no: String,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reason: Option<String>,
}

/// `member.cancelled` v1: the membership ended (注销); its card number is retired. Final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "card_no": "M00000311",
    "reason": "moved away", "cancelled_at": "2026-12-03T10:42:25Z"
})))]
pub struct MemberCancelledV1 {
    pub member_id: Uuid,
    /// The retired card number.
    pub card_no: String,
    pub reason: String,
    pub cancelled_at: DateTime<Utc>,
}

/// `member.identity_linked` v1: an identity in another system (a WeChat openid, a website
/// account) now signs this member in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "source": "wechat_openid",
    "external_id": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
})))]
pub struct MemberIdentityLinkedV1 {
    pub member_id: Uuid,
    /// The other system (`wechat_openid`, `website`, ...).
    pub source: String,
    /// The member's id there.
    pub external_id: String,
}

/// `member.identity_unlinked` v1: the identity no longer belongs to the member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "member_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a4c", "source": "wechat_openid",
    "external_id": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
})))]
pub struct MemberIdentityUnlinkedV1 {
    pub member_id: Uuid,
    pub source: String,
    pub external_id: String,
}

/// `enrollment_application.submitted` v1: an application arrived and was reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "application_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a42", "channel": "online", "clean": true,
    "customer_id": null
})))]
pub struct EnrollmentApplicationSubmittedV1 {
    pub application_id: Uuid,
    pub channel: Channel,
    /// `true`: the automatic review found nothing (it may be approved at once, as the tenant's
    /// settings say); `false`: staff look at its findings.
    pub clean: bool,
    /// The existing customer it names, when it named one.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub customer_id: Option<Uuid>,
}

/// `enrollment_application.rejected` v1: staff rejected the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "application_id": "0193f0c4-5d1c-7a8e-9d2b-3b0f1f1e2a42", "reason": "incomplete"
})))]
pub struct EnrollmentApplicationRejectedV1 {
    pub application_id: Uuid,
    pub reason: String,
}
