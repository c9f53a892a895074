//! Membership (会员): enrollment channels, applicants and the review of applications, members and
//! their card states, card numbers (automatic or a preset pool), and member levels.

pub mod applicant;
pub mod card;
pub mod level;
pub mod review;
pub mod status;

use crate::macros::str_enum;

pub use applicant::{Applicant, ApplicantPatch, ApplicantPhone, ExternalKey};
pub use card::{CardNumberRule, PresetBatch};
pub use level::{LevelPatch, LevelSpec, Multiplier};
pub use review::{Finding, FindingCode, RequiredField};
pub use status::MemberStatus;

str_enum!(
    /// 入会途径: where an enrollment application came from.
    Channel { Onsite => "onsite", Online => "online", Purchase => "purchase", Import => "import" }
);

str_enum!(
    /// An application waits for review, then is approved (a member exists) or rejected.
    ApplicationStatus { Pending => "pending", Approved => "approved", Rejected => "rejected" }
);

str_enum!(
    /// A card number in the tenant's pool: prepared (`free`), handed to a member (`assigned`), or
    /// taken out of use after a replacement or cancellation (`retired`). Never free again once assigned.
    CardStatus { Free => "free", Assigned => "assigned", Retired => "retired" }
);

str_enum!(
    /// How a card number came to exist.
    CardOrigin { Batch => "batch", Special => "special", Auto => "auto" }
);

str_enum!(
    /// 会员卡号生成模式: numbers made from a counter (the default), or taken from a preset pool.
    #[derive(Default)]
    CardMode { #[default] Auto => "auto", Preset => "preset" }
);

str_enum!(
    /// Why a member's level changed.
    LevelChangeSource {
        Enrollment => "enrollment",
        Manual => "manual",
        Upgrade => "upgrade",
        /// Lowered because upgrade points were reversed (when the tenant's setting allows it).
        Reversal => "reversal",
    }
);
