//! Domain events: the public contract of what happened. One [`DomainEvent`] variant per event
//! type and payload version; a payload names records by id and carries the business facts an
//! integrator acts on (card numbers, level ids, channels, reasons, times), never an audit diff,
//! masked personal data or an internal column name. Webhook subscribers receive the payload as
//! `data` beside its `type` (the dotted name) and `version`.
//!
//! Compatibility: within a version, fields are only ever added (readers ignore fields they do not
//! know); renaming, removing or retyping a field is a new version, written as a new variant with a
//! `…V2` payload while the old one is still accepted by [`DomainEvent::decode`].

mod payloads;
mod points;

pub use payloads::*;
pub use points::*;

use crate::macros::str_enum;
use crate::membership::status::CardAction;
use chrono::{DateTime, Utc};
use uuid::Uuid;

str_enum!(
    /// The dotted name of an event type (`member.enrolled`); stable, part of the contract.
    EventType {
        MemberEnrolled => "member.enrolled",
        MemberUpdated => "member.updated",
        MemberLevelChanged => "member.level_changed",
        MemberCardLost => "member.card_lost",
        MemberCardUnreported => "member.card_unreported",
        MemberCardReplaced => "member.card_replaced",
        MemberCancelled => "member.cancelled",
        MemberIdentityLinked => "member.identity_linked",
        MemberIdentityUnlinked => "member.identity_unlinked",
        EnrollmentApplicationSubmitted => "enrollment_application.submitted",
        EnrollmentApplicationRejected => "enrollment_application.rejected",
        PointsCredited => "points.credited",
        PointsConfirmed => "points.confirmed",
        PointsReversed => "points.reversed",
        MemberPointsNegative => "member.points_negative",
        PurchaseRecorded => "purchase.recorded",
        PurchaseCancelled => "purchase.cancelled",
        RewardCreated => "reward.created",
        RewardCancelled => "reward.cancelled",
    }
);

str_enum!(
    /// The kind of record an event is about; with its id, the key events are ordered by.
    AggregateType {
        Member => "member",
        EnrollmentApplication => "enrollment_application",
        Purchase => "purchase",
        Reward => "reward",
    }
);

/// A stored payload that no variant reads.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("{event_type} has no payload version {version}")]
    UnknownVersion { event_type: EventType, version: i32 },
    #[error("payload of {event_type} v{version} does not match its schema: {source}")]
    Payload { event_type: EventType, version: i32, source: serde_json::Error },
}

/// Declares [`DomainEvent`] from `Variant(Payload) => EventType, version N, about Aggregate(id field);`
/// with its type, version, aggregate, encoding and decoding, and the payloads' OpenAPI schemas.
macro_rules! domain_events {
    ($($(#[$doc:meta])* $variant:ident($payload:ident) => $ty:ident, version $v:literal, about $agg:ident($id:ident);)*) => {
        /// Something that happened, as other systems are told. Written to the outbox by the use
        /// case that made it happen, in its transaction.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum DomainEvent {
            $($(#[$doc])* $variant($payload),)*
        }

        impl DomainEvent {
            /// The dotted event type (`member.enrolled`).
            pub fn event_type(&self) -> EventType {
                match self { $(DomainEvent::$variant(_) => EventType::$ty,)* }
            }

            /// The payload's version, from 1; see the module docs on compatibility.
            pub fn version(&self) -> i32 {
                match self { $(DomainEvent::$variant(_) => $v,)* }
            }

            /// The record the event is about.
            pub fn aggregate(&self) -> (AggregateType, Uuid) {
                match self { $(DomainEvent::$variant(p) => (AggregateType::$agg, p.$id),)* }
            }

            /// The payload as JSON (what the outbox stores and a webhook sends as `data`).
            pub fn payload(&self) -> Result<serde_json::Value, serde_json::Error> {
                match self { $(DomainEvent::$variant(p) => serde_json::to_value(p),)* }
            }

            /// Reads a stored payload back by its type and version.
            pub fn decode(event_type: EventType, version: i32, payload: serde_json::Value) -> Result<Self, DecodeError> {
                match (event_type, version) {
                    $((EventType::$ty, $v) => serde_json::from_value(payload)
                        .map(DomainEvent::$variant)
                        .map_err(|source| DecodeError::Payload { event_type, version, source }),)*
                    _ => Err(DecodeError::UnknownVersion { event_type, version }),
                }
            }
        }

        /// The payload schemas (and the schemas they use), for the OpenAPI components.
        #[cfg(feature = "openapi")]
        pub fn payload_schemas() -> Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
            let mut out = Vec::new();
            $(
                out.push((<$payload as utoipa::ToSchema>::name().into_owned(), <$payload as utoipa::PartialSchema>::schema()));
                <$payload as utoipa::ToSchema>::schemas(&mut out);
            )*
            out
        }

        /// The schema of a stored payload: one of the payload schemas, as its event's
        /// `event_type` and `event_version` say.
        #[cfg(feature = "openapi")]
        pub fn payload_schema() -> utoipa::openapi::schema::Schema {
            let mut any = utoipa::openapi::schema::AnyOfBuilder::new().description(Some(
                "The event's payload: the schema named by `event_type` and `event_version` \
                 (`member.enrolled` version 1 is `MemberEnrolledV1`).",
            ));
            $(any = any.item(utoipa::openapi::Ref::from_schema_name(<$payload as utoipa::ToSchema>::name()));)*
            any.into()
        }
    };
}

domain_events! {
    /// `member.enrolled`: an application was approved and the member exists.
    MemberEnrolled(MemberEnrolledV1) => MemberEnrolled, version 1, about Member(member_id);
    /// `member.updated`: the member's profile changed.
    MemberUpdated(MemberUpdatedV1) => MemberUpdated, version 1, about Member(member_id);
    /// `member.level_changed`: by hand, on enrollment or by an upgrade.
    MemberLevelChanged(MemberLevelChangedV1) => MemberLevelChanged, version 1, about Member(member_id);
    /// `member.card_lost`: 挂失.
    MemberCardLost(MemberCardLostV1) => MemberCardLost, version 1, about Member(member_id);
    /// `member.card_unreported`: 解挂.
    MemberCardUnreported(MemberCardUnreportedV1) => MemberCardUnreported, version 1, about Member(member_id);
    /// `member.card_replaced`: 换卡.
    MemberCardReplaced(MemberCardReplacedV1) => MemberCardReplaced, version 1, about Member(member_id);
    /// `member.cancelled`: 注销.
    MemberCancelled(MemberCancelledV1) => MemberCancelled, version 1, about Member(member_id);
    /// `member.identity_linked`.
    MemberIdentityLinked(MemberIdentityLinkedV1) => MemberIdentityLinked, version 1, about Member(member_id);
    /// `member.identity_unlinked`.
    MemberIdentityUnlinked(MemberIdentityUnlinkedV1) => MemberIdentityUnlinked, version 1, about Member(member_id);
    /// `enrollment_application.submitted`.
    EnrollmentApplicationSubmitted(EnrollmentApplicationSubmittedV1) => EnrollmentApplicationSubmitted, version 1,
        about EnrollmentApplication(application_id);
    /// `enrollment_application.rejected`.
    EnrollmentApplicationRejected(EnrollmentApplicationRejectedV1) => EnrollmentApplicationRejected, version 1,
        about EnrollmentApplication(application_id);
    /// `points.credited`.
    PointsCredited(PointsCreditedV1) => PointsCredited, version 1, about Member(member_id);
    /// `points.confirmed`.
    PointsConfirmed(PointsConfirmedV1) => PointsConfirmed, version 1, about Member(member_id);
    /// `points.reversed`.
    PointsReversed(PointsReversedV1) => PointsReversed, version 1, about Member(member_id);
    /// `member.points_negative`.
    MemberPointsNegative(MemberPointsNegativeV1) => MemberPointsNegative, version 1, about Member(member_id);
    /// `purchase.recorded`.
    PurchaseRecorded(PurchaseRecordedV1) => PurchaseRecorded, version 1, about Purchase(purchase_id);
    /// `purchase.cancelled`.
    PurchaseCancelled(PurchaseCancelledV1) => PurchaseCancelled, version 1, about Purchase(purchase_id);
    /// `reward.created`.
    RewardCreated(RewardCreatedV1) => RewardCreated, version 1, about Reward(reward_id);
    /// `reward.cancelled`.
    RewardCancelled(RewardCancelledV1) => RewardCancelled, version 1, about Reward(reward_id);
}

/// A card action's facts, as its event reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardActionFacts {
    pub member_id: Uuid,
    /// The number before the action.
    pub card_no_before: String,
    /// The number after it (a new one on replacement).
    pub card_no_after: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl DomainEvent {
    /// The event a card action writes.
    pub fn of_card_action(action: CardAction, f: CardActionFacts) -> Self {
        let CardActionFacts { member_id, card_no_before, card_no_after, reason, at } = f;
        match action {
            CardAction::ReportLost => {
                DomainEvent::MemberCardLost(MemberCardLostV1 { member_id, card_no: card_no_before, reason })
            }
            CardAction::Unreport => {
                DomainEvent::MemberCardUnreported(MemberCardUnreportedV1 { member_id, card_no: card_no_before, reason })
            }
            CardAction::Replace => DomainEvent::MemberCardReplaced(MemberCardReplacedV1 {
                member_id,
                previous_card_no: card_no_before,
                card_no: card_no_after,
                reason,
            }),
            CardAction::Cancel => DomainEvent::MemberCancelled(MemberCancelledV1 {
                member_id,
                card_no: card_no_before,
                reason: reason.unwrap_or_default(),
                cancelled_at: at,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::Channel;

    fn enrolled() -> DomainEvent {
        DomainEvent::MemberEnrolled(MemberEnrolledV1 {
            member_id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            card_no: "M00000001".to_owned(),
            level_id: None,
            channel: Channel::Online,
            application_id: Some(Uuid::now_v7()),
            joined_at: Utc::now(),
        })
    }

    #[test]
    fn an_event_names_its_type_version_and_aggregate() {
        let e = enrolled();
        let DomainEvent::MemberEnrolled(p) = &e else { unreachable!() };
        assert_eq!(e.event_type().as_str(), "member.enrolled");
        assert_eq!(e.version(), 1);
        assert_eq!(e.aggregate(), (AggregateType::Member, p.member_id));
    }

    #[test]
    fn a_payload_round_trips_through_its_type_and_version() -> Result<(), Box<dyn std::error::Error>> {
        let e = enrolled();
        let json = e.payload()?;
        assert_eq!(json["channel"], "online");
        assert_eq!(json["card_no"], "M00000001");
        assert_eq!(DomainEvent::decode(e.event_type(), e.version(), json)?, e);
        Ok(())
    }

    #[test]
    fn an_unknown_version_or_a_foreign_payload_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let e = enrolled();
        let json = e.payload()?;
        assert!(matches!(
            DomainEvent::decode(EventType::MemberEnrolled, 2, json.clone()),
            Err(DecodeError::UnknownVersion { version: 2, .. })
        ));
        assert!(matches!(
            DomainEvent::decode(EventType::EnrollmentApplicationRejected, 1, json),
            Err(DecodeError::Payload { .. })
        ));
        Ok(())
    }

    #[test]
    fn card_actions_write_their_events() {
        let facts = |reason: Option<&str>| CardActionFacts {
            member_id: Uuid::nil(),
            card_no_before: "A1".to_owned(),
            card_no_after: "A2".to_owned(),
            reason: reason.map(str::to_owned),
            at: Utc::now(),
        };
        let types: Vec<&str> = [CardAction::ReportLost, CardAction::Unreport, CardAction::Replace, CardAction::Cancel]
            .into_iter()
            .map(|a| DomainEvent::of_card_action(a, facts(Some("r"))).event_type().as_str())
            .collect();
        assert_eq!(types, ["member.card_lost", "member.card_unreported", "member.card_replaced", "member.cancelled"]);
        let DomainEvent::MemberCardReplaced(r) = DomainEvent::of_card_action(CardAction::Replace, facts(None)) else {
            unreachable!()
        };
        assert_eq!((r.previous_card_no.as_str(), r.card_no.as_str()), ("A1", "A2"));
        // Each type names one event, whose card action (if any) agrees with the membership rules.
        for (action, (_, event)) in
            [CardAction::ReportLost, CardAction::Unreport, CardAction::Replace, CardAction::Cancel]
                .map(|a| (a, a.names()))
        {
            assert_eq!(DomainEvent::of_card_action(action, facts(Some("r"))).event_type().as_str(), event);
        }
    }

    #[test]
    fn every_type_has_a_current_version() {
        // Decoding with version 1 finds a variant for every type (a payload error, not an unknown version).
        for t in EventType::ALL_VALUES {
            assert!(
                !matches!(DomainEvent::decode(*t, 1, serde_json::Value::Null), Err(DecodeError::UnknownVersion { .. })),
                "{t}"
            );
        }
    }
}
