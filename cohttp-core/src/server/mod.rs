//! The HTTP/1.1 server: handlers, the pipelined connection loop, limits, graceful
//! shutdown and response helpers.
//!
//! - [`handler`](Handler): what is called per request — closures or types; plain or
//!   [`Expert`] responses; [`ConnInfo`]; [`Handler::conn_closed`].
//! - [`serve`] / [`serve_listener`]: the accept loop, one task per connection, the
//!   connection limit and graceful shutdown on a stop future.
//! - [`serve_connection`]: one connection, for streams accepted some other way.
//! - [`ServerConfig`]: limits and timeouts, each with a documented default, and the
//!   [`MinRate`] a body or a reader must keep (slow trickles are cut); HTTPS with
//!   `ServerConfig::tls` (feature `tls`, the handshake in `tls.rs`).
//! - Helpers: [`respond`], [`respond_string`], [`respond_error`], [`respond_redirect`],
//!   [`respond_need_auth`], [`respond_not_found`], [`respond_file`],
//!   [`resolve_local_file`]; [`http_date`].
//! - Serving a tree of files: [`FileServer`] (what `cohttp-server` runs), built on
//!   [`evaluate_preconditions`] (conditional requests), [`parse_range`] (byte ranges),
//!   [`html_listing`] (directory listings) and [`content_type`].
//! - [`AccessLog`]: one Common Log Format line per request, through `log`.
//!
//! How it differs from OCaml's cohttp-lwt server: a malformed request is answered with
//! its status (400, 413, 414, 431, 501, 505) and a lingering close rather than closed
//! without a word; the request body is drained *after* the response is written (so a
//! handler can stream its answer from the request body), bounded; a request's body is
//! framed by its headers whatever its method; pipelined requests are read ahead and
//! their responses coalesced into few writes; the timeout bounds the reading of a
//! head, not the whole connection.
//!
//! # Example
//!
//! An echo server, run here on the deterministic mock backend with a raw client:
//!
//! ```
//! use cohttp_core::runtime::{Addr, Ctx, Endpoint};
//! use cohttp_core::server::{respond, serve_listener, ConnInfo, ServerConfig};
//! use cohttp_core::{Body, Error};
//! use futures_util::{AsyncReadExt, AsyncWriteExt};
//! use http::{HeaderMap, Request, StatusCode};
//! use std::time::UNIX_EPOCH;
//!
//! let sim = cohttp_mock::Sim::new(1);
//! let rt = sim.runtime();
//! let echo = |_: ConnInfo, _: Request<()>, body: Body| async move {
//!     Ok::<_, Error>(respond(StatusCode::OK, HeaderMap::new(), body))
//! };
//! let config = ServerConfig::default().date_origin(UNIX_EPOCH);
//! let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
//! let listener = sim.block_on(rt.listen(Addr::Named("echo".into()))).unwrap();
//! let server = {
//!     let rt = rt.clone();
//!     sim.spawn(async move {
//!         let stop = async move { let _ = stop_rx.await; };
//!         serve_listener(&rt, listener, echo, config, stop).await
//!     })
//! };
//! let answer = sim.block_on(async move {
//!     let mut io = rt.connect(&Ctx::new(), &Endpoint::Named("echo".into())).await.unwrap();
//!     io.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
//!         .await
//!         .unwrap();
//!     let mut answer = String::new();
//!     io.read_to_string(&mut answer).await.unwrap();
//!     let _ = stop_tx.send(());
//!     server.await;
//!     answer
//! });
//! assert_eq!(
//!     answer,
//!     "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\
//!      date: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\nhi"
//! );
//! ```

mod access_log;
mod conditional;
mod config;
mod conn;
mod date;
mod file_server;
mod files;
mod handler;
mod listing;
mod min_rate;
mod range;
mod respond;
mod serve;
mod shared;
mod shutdown;
mod tls;

pub use access_log::{access_log_line, AccessLog, ACCESS_LOG_TARGET};
pub use conditional::{
    evaluate_preconditions, if_range_allows, weak_etag, Precondition, Validators,
};
pub use config::ServerConfig;
pub use conn::serve_connection;
pub use date::http_date;
pub use file_server::FileServer;
pub use files::{content_type, resolve_local_file, resolve_local_path, respond_file};
pub use handler::{ConnInfo, Expert, Handler, Next, Reply, Upgraded};
pub use listing::{escape_html, html_listing, percent_encode_segment, ListingEntry};
pub use min_rate::MinRate;
pub use range::{parse_range, ByteRange, RangeAnswer};
pub use respond::{
    respond, respond_error, respond_need_auth, respond_not_found, respond_redirect, respond_string,
    TEXT_PLAIN_UTF8,
};
pub use serve::{serve, serve_listener};
