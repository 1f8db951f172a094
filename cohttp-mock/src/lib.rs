//! # cohttp_mock
//!
//! The deterministic in-memory backend of cohttp (placeholder: lands with the
//! foundation work).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use cohttp_core as core;
