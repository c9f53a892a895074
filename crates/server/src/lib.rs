//! crm-server: the `crm` binary's library half. Configuration, CLI, telemetry, and
//! [`Application::build`], which `main` and the integration tests share.

pub mod application;
pub mod cli;
pub mod config;
pub mod scheduler;
pub mod telemetry;

pub use application::Application;
pub use config::Config;
