//! Integration clients (client credentials): whether a client may still get tokens.

use crate::macros::str_enum;

str_enum!(
    /// Whether an API client may get tokens: a revoked client never comes back.
    ApiClientStatus {
        Active => "active",
        Revoked => "revoked",
    }
);
