//! Black-box HTTP tests live in `tests/it/` (one test binary); see `tests/it/helpers.rs`.
