//! Loyalty endpoints, per `API.md` and `LOYALTY.md`, as they arrive: members' points and ledger,
//! purchases and payments, manual and activity points, points plans and carry-over, redemptions.
