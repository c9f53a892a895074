//! Identity: usernames, the password policy, user status, the org tree, permissions and data scopes.

pub mod org;
pub mod password;
pub mod permission;
pub mod scope;
pub mod user;

pub use org::OrgUnitKind;
pub use password::{PasswordPolicy, PlainPassword};
pub use scope::DataScope;
pub use user::{UserStatus, Username};
