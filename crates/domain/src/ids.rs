//! Typed identifiers (UUIDv7, time-ordered) so a tenant id is never passed where a user id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = uuid::Uuid))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// An isolated company or store in one deployment.
    TenantId
);
id_type!(
    /// A staff user of one tenant.
    UserId
);
id_type!(
    /// A unit of the org tree.
    OrgUnitId
);
id_type!(
    /// A position (role).
    PositionId
);
id_type!(
    /// An integration client (client credentials).
    ApiClientId
);
id_type!(
    /// A custom field definition.
    CustomFieldId
);
id_type!(
    /// An entry of the audit log.
    AuditEntryId
);
id_type!(
    /// A domain event (an outbox message); a webhook's `webhook-id`.
    EventId
);
id_type!(
    /// A membership (会员).
    MemberId
);
id_type!(
    /// An enrollment application (入会申请).
    ApplicationId
);
id_type!(
    /// A member level (会员级别).
    LevelId
);
id_type!(
    /// A customer (a person or an organization) of one tenant.
    CustomerId
);
id_type!(
    /// A contact person of an organization customer.
    ContactId
);
id_type!(
    /// An interaction (跟进记录) with a customer.
    InteractionId
);
id_type!(
    /// A tag customers carry.
    TagId
);
id_type!(
    /// A customer segment.
    SegmentId
);
id_type!(
    /// A points plan (积分方案): one period's rules.
    PointsPlanId
);
id_type!(
    /// An entry of the points ledger.
    PointsEntryId
);
id_type!(
    /// A purchase pushed by the sales system (购房/消费记录).
    PurchaseId
);
id_type!(
    /// A payment of a purchase, as the sales system confirmed it.
    PaymentId
);
id_type!(
    /// A carry-over run (积分结转) of one plan.
    CarryOverRunId
);
id_type!(
    /// A reward a carry-over made of a member's points.
    RewardId
);
