//! Identity: usernames, the password policy, and user status.

pub mod password;
pub mod user;

pub use password::{PasswordPolicy, PlainPassword};
pub use user::{UserStatus, Username};
