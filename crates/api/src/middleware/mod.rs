//! Cross-cutting HTTP middleware: request ids and logs, metrics, problem rendering.

pub mod metrics;
pub mod problem;
pub mod request_context;
