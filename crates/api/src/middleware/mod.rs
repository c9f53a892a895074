//! Cross-cutting HTTP middleware: request ids and logs, metrics, rate limits, problem rendering.

pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod request_context;
