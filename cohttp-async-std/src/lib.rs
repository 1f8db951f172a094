//! # cohttp_async_std
//!
//! cohttp on the `async-std` runtime: the runtime adapter (networking, timers, spawning)
//! for the protocol logic of `cohttp-core`, and nothing protocol-specific.
//!
//! This crate is a placeholder until the backends work lands (issue "Backends"): it
//! re-exports `cohttp-core` so that applications can already name it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use cohttp_core as core;
