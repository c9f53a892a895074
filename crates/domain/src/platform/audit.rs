//! The audit log's vocabulary: who can act.

use crate::macros::str_enum;

str_enum!(
    /// Who made a change: a staff user, an integration client, or the system itself (bootstrap,
    /// scheduled jobs).
    ActorType {
        User => "user",
        ApiClient => "api_client",
        System => "system",
    }
);
