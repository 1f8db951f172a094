//! # cohttp-smol
//!
//! cohttp on the smol runtime: the adapter that runs `cohttp-core`'s protocol logic on
//! smol's networking, timers and tasks. It holds nothing protocol-specific.
//!
//! [`runtime()`] gives the [`Runtime`](cohttp_core::Runtime) value that cohttp's client
//! and server take.
//!
//! ```
//! smol::block_on(async {
//!     use cohttp_core::runtime::Ctx;
//!
//!     let rt = cohttp_smol::runtime();
//!     let endpoint = rt.resolve(&Ctx::new(), "127.0.0.1", 9).await.unwrap();
//!     assert_eq!(endpoint.to_string(), "127.0.0.1:9");
//! });
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod runtime;
mod serve;

pub use cohttp_core as core;
pub use cohttp_core::client::Client;
/// TLS (`https` for the client, `ServerConfig::tls` for the server): `cohttp-core`'s
/// rustls support, behind this crate's `tls` feature (on by default).
#[cfg(feature = "tls")]
pub use cohttp_core::tls;
pub use runtime::runtime;
pub use serve::{client, serve, shutdown_signal};
