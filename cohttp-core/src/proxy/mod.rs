//! A forward HTTP proxy, as `cohttp-proxy` runs: [`ForwardProxy`], a server
//! [`Handler`](crate::server::Handler).
//!
//! - [`ForwardProxy`]: absolute-form requests forwarded through a connection cache,
//!   `CONNECT` tunnels, `400`/`502`/`504`/`508` answers (`forward.rs`);
//! - [`remove_hop_by_hop`], [`add_via`], [`via_names`]: the header rules of RFC 9110
//!   §7.6 (`hop.rs`);
//! - [`pipe`]: the two-way byte copy of a tunnel, with half-close propagation
//!   (`pipe.rs`).
//!
//! This is not the client's side of proxies (sending through one): that is
//! [`client::Proxy`](crate::client::Proxy) and [`client::Tunnel`](crate::client::Tunnel).

mod forward;
mod hop;
mod pipe;

pub use forward::ForwardProxy;
pub use hop::{add_via, remove_hop_by_hop, via_names, HOP_BY_HOP};
pub use pipe::{pipe, Piped};
