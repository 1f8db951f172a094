//! # cohttp-core
//!
//! A portable HTTP/1.1 client and server, written once against the `futures-io` traits
//! and run on any async runtime through a thin backend crate (`cohttp-tokio`,
//! `cohttp-async-std`, `cohttp-smol`), or on `cohttp-mock` for deterministic tests.
//! It is a Rust port of OCaml's cohttp-lwt.
//!
//! What this crate provides:
//!
//! - [`runtime`]: the contract a backend implements (`Net`, `Sleep`, `Spawn`) and the
//!   [`Runtime`] value the client and the server run on;
//! - [`body`]: message bodies ([`Body`]);
//! - [`error`]: the one [`Error`] type, with distinguishable kinds;
//! - [`h1`]: the HTTP/1.1 wire format, sans I/O: heads, framing, chunked coding;
//! - [`server`]: the pipelined HTTP/1.1 server: handlers, limits, graceful shutdown,
//!   and a file server;
//! - [`proxy`]: a forward proxy (absolute-form forwarding, `CONNECT` tunnels) as a
//!   server handler;
//! - [`vocab`]: the HTTP vocabulary beyond the `http` crate: cookies, basic
//!   authentication, `Accept*` negotiation, `Link` headers, HTTP dates;
//! - `tls` (feature `tls`): TLS for the client and the server with rustls, over any
//!   transport.
//!
//! Strict, smuggling-resistant parsing by RFC 9112 is the default; every function fed
//! by the network returns a typed error rather than panicking.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod body;
pub mod client;
pub mod error;
pub mod h1;
pub mod proxy;
pub mod runtime;
pub mod server;
#[cfg(feature = "testkit")]
pub mod testkit;
#[cfg(feature = "tls")]
pub mod tls;
pub mod vocab;

pub use body::Body;
pub use error::{Error, ErrorKind, Limit, Malformed, Result, TlsFailure};
pub use runtime::Runtime;
pub use vocab::{BasicCredentials, Challenge, Link, MediaRange, SameSite, SetCookie};
