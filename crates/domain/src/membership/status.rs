//! A member's card states (挂失 / 解挂 / 换卡 / 注销) and which transitions are allowed.

use crate::macros::str_enum;

str_enum!(
    /// `active -> card_lost -> active` (unreport), a new card from either, and cancellation, which is final.
    MemberStatus { Active => "active", CardLost => "card_lost", Cancelled => "cancelled" }
);

/// A change of card state that the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTransition {
    pub from: MemberStatus,
}

/// Something done to a member's card or membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardAction {
    ReportLost,
    Unreport,
    Replace,
    Cancel,
}

impl CardAction {
    /// The audit action and the outbox event it writes.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            CardAction::ReportLost => ("report_lost", "member.card_lost"),
            CardAction::Unreport => ("unreport_lost", "member.card_unreported"),
            CardAction::Replace => ("replace_card", "member.card_replaced"),
            CardAction::Cancel => ("cancel", "member.cancelled"),
        }
    }
}

impl MemberStatus {
    /// The state after `action`, or why it cannot happen.
    pub fn after(self, action: CardAction) -> Result<MemberStatus, InvalidTransition> {
        use MemberStatus::*;
        match (self, action) {
            (Active, CardAction::ReportLost) => Ok(CardLost),
            (CardLost, CardAction::Unreport) => Ok(Active),
            (Active | CardLost, CardAction::Replace) => Ok(Active),
            (Active | CardLost, CardAction::Cancel) => Ok(Cancelled),
            (from, _) => Err(InvalidTransition { from }),
        }
    }

    /// Whether the membership is still in force (a lost card does not end it).
    pub fn is_live(self) -> bool {
        self != MemberStatus::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use CardAction::*;
        use MemberStatus::*;
        assert_eq!(Active.after(ReportLost), Ok(CardLost));
        assert_eq!(CardLost.after(Unreport), Ok(Active));
        assert_eq!(CardLost.after(Replace), Ok(Active));
        assert_eq!(Active.after(Replace), Ok(Active));
        assert_eq!(CardLost.after(Cancel), Ok(Cancelled));
        assert_eq!(Active.after(Unreport), Err(InvalidTransition { from: Active }));
        assert_eq!(CardLost.after(ReportLost), Err(InvalidTransition { from: CardLost }));
        for a in [ReportLost, Unreport, Replace, Cancel] {
            assert_eq!(Cancelled.after(a), Err(InvalidTransition { from: Cancelled }), "cancellation is final");
        }
    }
}
