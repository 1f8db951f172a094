//! The client side: connections, connection caches, proxies, the high-level [`Client`].
//!
//! - [`Connection`]: one HTTP/1.1 connection, possibly pipelined (`connection.rs`, with its
//!   writer and reader tasks in `writer.rs` and `reader.rs`, the response body hand-off in
//!   `incoming.rs`, persistence rules in `persistence.rs`);
//! - [`Call`]: what connections, caches and clients share;
//! - [`Client`]: `get`, `post`, ..., `callv`, with timeouts;
//! - caches: [`NoCache`] (a connection per request), [`Cache`] (kept per endpoint, with
//!   [`CacheConfig`]), [`Tunnel`] (`CONNECT` through a proxy), [`Proxy`] (routing by
//!   [`ProxyConfig`] and [`NoProxy`]); automatic retries by [`RetryPolicy`];
//! - [`Redirect`]: the rules for following redirects (RFC 9110 §15.4).
//!
//! Error semantics (retry, closed, ...) follow `DESIGN.md`: every call resolves exactly once,
//! with a response or a typed [`Error`](crate::Error).

mod cache;
mod call;
mod callv;
#[allow(clippy::module_inception)]
mod client;
mod config;
mod connection;
mod incoming;
mod no_cache;
mod no_proxy;
mod persistence;
mod pool;
mod proxy;
mod proxy_config;
mod reader;
mod redirect;
mod retry;
mod target;
mod timeouts;
mod tunnel;
mod writer;

pub use cache::{Cache, CacheConfig};
pub use call::Call;
pub use callv::Callv;
pub use client::{Chunked, Client};
pub use config::{ConnectionConfig, FinaliseHook, InterimHook};
pub use connection::Connection;
pub use no_cache::NoCache;
pub use no_proxy::NoProxy;
pub use proxy::{Proxy, ProxyRoute};
pub use proxy_config::{ProxyConfig, ProxyServer, DEFAULT_PROXY_PORT};
pub use redirect::{is_redirect, resolve_reference, Redirect, DEFAULT_REDIRECT_LIMIT};
pub use retry::{is_idempotent, retry_call, RetryPolicy};
pub use target::TargetForm;
pub use timeouts::Timeouts;
pub use tunnel::{Tunnel, TunnelTls};
