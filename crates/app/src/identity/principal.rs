//! Who is calling: the verified subject of an access token, before its rights are loaded.

use crm_domain::ids::{ApiClientId, TenantId, UserId};

/// The subject of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A staff user.
    User(UserId),
    /// An integration client, with the scopes its token was issued for.
    Client { id: ApiClientId, scopes: Vec<String> },
}

/// A caller proven by a valid access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub subject: Subject,
    /// The subject's token generation when the token was issued; a token older than the
    /// subject's current generation is revoked.
    pub generation: i64,
}
