//! Identity: usernames, the password policy, user status, the org tree, permissions and data
//! scopes, API-client status and token types.

pub mod client;
pub mod org;
pub mod password;
pub mod permission;
pub mod scope;
pub mod token;
pub mod user;

pub use client::ApiClientStatus;
pub use org::OrgUnitKind;
pub use password::{PasswordPolicy, PlainPassword};
pub use scope::DataScope;
pub use token::TokenType;
pub use user::{UserStatus, Username};
