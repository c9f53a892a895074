//! Access tokens as their answers name them.

use crate::macros::str_enum;

str_enum!(
    /// The `token_type` of a token answer (RFC 6749 section 7.1): every access token is a bearer token.
    TokenType { Bearer => "Bearer" }
);
